-- Senders kept current after the connection (docs/senders.md): a status and Meta's account
-- state, the coexistence syncs, a mark that lets concurrent deletes of one WABA's last senders
-- see each other; sender.status_changed events through an outbox of their own; Meta's webhook
-- deliveries kept in an inbox (deduplicated by key, purged after RETENTION_DAYS). Hand-written.
ALTER TABLE `senders` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `senders` ADD `status_reason` text;--> statement-breakpoint
ALTER TABLE `senders` ADD `status_changed_at` integer;--> statement-breakpoint
ALTER TABLE `senders` ADD `quality_rating` text;--> statement-breakpoint
ALTER TABLE `senders` ADD `messaging_limit_tier` text;--> statement-breakpoint
ALTER TABLE `senders` ADD `name_status` text;--> statement-breakpoint
ALTER TABLE `senders` ADD `connected_at` integer;--> statement-breakpoint
ALTER TABLE `senders` ADD `contacts_sync_status` text DEFAULT 'not_requested' NOT NULL;--> statement-breakpoint
ALTER TABLE `senders` ADD `contacts_sync_requested_at` integer;--> statement-breakpoint
ALTER TABLE `senders` ADD `history_sync_status` text DEFAULT 'not_requested' NOT NULL;--> statement-breakpoint
ALTER TABLE `senders` ADD `history_sync_requested_at` integer;--> statement-breakpoint
ALTER TABLE `senders` ADD `history_sync_completed_at` integer;--> statement-breakpoint
ALTER TABLE `senders` ADD `deleting_since` integer;--> statement-breakpoint
-- Senders connected before: active since their last connection.
UPDATE `senders` SET `status_changed_at` = `created_at`, `connected_at` = `updated_at`;--> statement-breakpoint
-- Meta's events name a WABA or a number, not a project.
CREATE INDEX `senders_waba_idx` ON `senders` (`waba_id`);--> statement-breakpoint
CREATE INDEX `senders_provider_account_idx` ON `senders` (`provider_account_id`);--> statement-breakpoint
CREATE TABLE `sender_events` (
	`id` text PRIMARY KEY NOT NULL,
	`sender_id` text NOT NULL,
	`project_id` text NOT NULL,
	`mode` text NOT NULL,
	`channel` text NOT NULL,
	`invitation_id` text NOT NULL,
	`previous_status` text NOT NULL,
	`current_status` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	`delivery_state` text,
	`delivery_attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer
);
--> statement-breakpoint
CREATE INDEX `sender_events_sender_idx` ON `sender_events` (`sender_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sender_events_outbox_idx` ON `sender_events` (`delivery_state`,`lease_until`) WHERE delivery_state IN ('pending', 'queued');--> statement-breakpoint
CREATE TABLE `meta_webhook_inbox` (
	`id` text PRIMARY KEY NOT NULL,
	`object` text NOT NULL,
	`entry_id` text NOT NULL,
	`field` text NOT NULL,
	`value` text NOT NULL,
	`entry_time` integer,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	`outcome` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE INDEX `meta_webhook_inbox_received_idx` ON `meta_webhook_inbox` (`received_at`);--> statement-breakpoint
CREATE INDEX `meta_webhook_inbox_open_idx` ON `meta_webhook_inbox` (`lease_until`) WHERE processed_at IS NULL;--> statement-breakpoint
-- Deliveries now log sender events too: the event id no longer refers to invitation_events only.
CREATE TABLE `__new_webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`event_id` text NOT NULL,
	`invitation_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`response_status` integer,
	`duration_ms` integer NOT NULL,
	`error` text,
	`response_excerpt` text,
	`created_at` integer NOT NULL,
	`mode` text DEFAULT 'live' NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_webhook_deliveries`("id", "project_id", "event_id", "invitation_id", "attempt", "outcome", "response_status", "duration_ms", "error", "response_excerpt", "created_at", "mode") SELECT "id", "project_id", "event_id", "invitation_id", "attempt", "outcome", "response_status", "duration_ms", "error", "response_excerpt", "created_at", "mode" FROM `webhook_deliveries`;--> statement-breakpoint
DROP TABLE `webhook_deliveries`;--> statement-breakpoint
ALTER TABLE `__new_webhook_deliveries` RENAME TO `webhook_deliveries`;--> statement-breakpoint
CREATE INDEX `webhook_deliveries_project_mode_created_idx` ON `webhook_deliveries` (`project_id`,`mode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_created_idx` ON `webhook_deliveries` (`created_at`);--> statement-breakpoint
-- One event per status change, in the statement that makes it (as invitations' trigger does):
-- in the outbox when the sender's project has an active webhook of its mode subscribed to it.
CREATE TRIGGER `senders_status_change_event`
AFTER UPDATE OF `status` ON `senders`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT INTO `sender_events` (
    `id`, `sender_id`, `project_id`, `mode`, `channel`, `invitation_id`,
    `previous_status`, `current_status`, `reason`, `created_at`, `delivery_state`
  )
  VALUES (
    'evt_' || lower(hex(randomblob(16))), NEW.`id`, NEW.`project_id`, NEW.`mode`, NEW.`channel`,
    NEW.`invitation_id`, OLD.`status`, NEW.`status`, NEW.`status_reason`,
    COALESCE(NEW.`status_changed_at`, NEW.`updated_at`),
    CASE WHEN EXISTS (
      SELECT 1 FROM `webhooks` AS w, json_each(w.`events`) AS e
      WHERE w.`project_id` = NEW.`project_id` AND w.`mode` = NEW.`mode` AND w.`active` = 1
        AND e.`value` = 'sender.status_changed'
    ) THEN 'pending' END
  );
END;
