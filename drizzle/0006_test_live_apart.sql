-- Test and live apart (docs/security.md): every row a key can reach carries its mode; the
-- webhook and remembered Idempotency-Key responses are per mode; a number's registration PIN
-- lives apart from any sender; attempts are owned by the browser that started them; and open
-- invitations are counted per project and mode by triggers. Hand-edited from drizzle-kit's
-- output: rebuilt tables copy only the columns the old ones have, existing rows keep the mode
-- they had (webhooks and remembered responses predate test keys' separation: live), and the
-- triggers (beyond drizzle-kit) are dropped before the rebuild of `webhooks` they read, then
-- written anew.
DROP TRIGGER IF EXISTS `invitations_status_change_event`;
--> statement-breakpoint
CREATE TABLE `open_invitation_counts` (
	`project_id` text NOT NULL,
	`mode` text NOT NULL,
	`open_count` integer NOT NULL,
	PRIMARY KEY(`project_id`, `mode`)
);
--> statement-breakpoint
INSERT INTO `open_invitation_counts` (`project_id`, `mode`, `open_count`)
SELECT `project_id`, `mode`, count(*) FROM `invitations`
WHERE `status` IN ('pending', 'in_progress', 'failed')
GROUP BY `project_id`, `mode`;
--> statement-breakpoint
CREATE TRIGGER `invitations_open_count_insert`
AFTER INSERT ON `invitations`
WHEN NEW.`status` IN ('pending', 'in_progress', 'failed')
BEGIN
  INSERT OR IGNORE INTO `open_invitation_counts` (`project_id`, `mode`, `open_count`)
  VALUES (NEW.`project_id`, NEW.`mode`, 0);
  UPDATE `open_invitation_counts` SET `open_count` = `open_count` + 1
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode`;
END;
--> statement-breakpoint
CREATE TRIGGER `invitations_open_count_update`
AFTER UPDATE OF `status` ON `invitations`
WHEN (OLD.`status` IN ('pending', 'in_progress', 'failed'))
  IS NOT (NEW.`status` IN ('pending', 'in_progress', 'failed'))
BEGIN
  INSERT OR IGNORE INTO `open_invitation_counts` (`project_id`, `mode`, `open_count`)
  VALUES (NEW.`project_id`, NEW.`mode`, 0);
  UPDATE `open_invitation_counts`
  SET `open_count` = `open_count`
    + CASE WHEN NEW.`status` IN ('pending', 'in_progress', 'failed') THEN 1 ELSE -1 END
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode`;
END;
--> statement-breakpoint
CREATE TABLE `phone_number_pins` (
	`phone_number_id` text PRIMARY KEY NOT NULL,
	`pin_ciphertext` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
-- A number registered from several projects: the latest registration's PIN is the one Meta has.
INSERT OR IGNORE INTO `phone_number_pins` (`phone_number_id`, `pin_ciphertext`, `created_at`, `updated_at`)
SELECT `provider_account_id`, `pin_ciphertext`, `created_at`, `updated_at` FROM `senders`
WHERE `channel` = 'whatsapp' AND `pin_ciphertext` IS NOT NULL
ORDER BY `updated_at` DESC;
--> statement-breakpoint
DROP INDEX `invitations_project_created_idx`;--> statement-breakpoint
DROP INDEX `invitations_project_status_created_idx`;--> statement-breakpoint
CREATE INDEX `invitations_project_mode_created_idx` ON `invitations` (`project_id`,`mode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `invitations_project_mode_status_created_idx` ON `invitations` (`project_id`,`mode`,`status`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `senders_project_account_unique`;--> statement-breakpoint
DROP INDEX `senders_project_created_idx`;--> statement-breakpoint
CREATE UNIQUE INDEX `senders_project_mode_account_unique` ON `senders` (`project_id`,`mode`,`channel`,`provider_account_id`);--> statement-breakpoint
CREATE INDEX `senders_project_mode_created_idx` ON `senders` (`project_id`,`mode`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `senders` DROP COLUMN `pin_ciphertext`;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
UPDATE `invitation_events`
SET `mode` = (SELECT i.`mode` FROM `invitations` AS i WHERE i.`id` = `invitation_events`.`invitation_id`);
--> statement-breakpoint
DROP INDEX `webhook_deliveries_project_created_idx`;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
UPDATE `webhook_deliveries`
SET `mode` = (SELECT e.`mode` FROM `invitation_events` AS e WHERE e.`id` = `webhook_deliveries`.`event_id`);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_project_mode_created_idx` ON `webhook_deliveries` (`project_id`,`mode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_created_idx` ON `webhook_deliveries` (`created_at`);--> statement-breakpoint
CREATE TABLE `__new_idempotency_keys` (
	`project_id` text NOT NULL,
	`mode` text DEFAULT 'live' NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`response_status` integer,
	`response_body_ciphertext` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `mode`, `key`)
);
--> statement-breakpoint
INSERT INTO `__new_idempotency_keys`("project_id", "mode", "key", "request_hash", "state", "response_status", "response_body_ciphertext", "created_at", "expires_at") SELECT "project_id", 'live', "key", "request_hash", "state", "response_status", "response_body_ciphertext", "created_at", "expires_at" FROM `idempotency_keys`;--> statement-breakpoint
DROP TABLE `idempotency_keys`;--> statement-breakpoint
ALTER TABLE `__new_idempotency_keys` RENAME TO `idempotency_keys`;--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `__new_webhooks` (
	`project_id` text NOT NULL,
	`mode` text DEFAULT 'live' NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`active` integer NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`previous_secret_ciphertext` text,
	`previous_secret_expires_at` integer,
	`signature_version` text DEFAULT 'v2' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `mode`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- Existing receivers got both v1 and v2 so far: they keep both until they choose v2 alone.
INSERT INTO `__new_webhooks`("project_id", "mode", "url", "events", "active", "secret_ciphertext", "signature_version", "created_at", "updated_at") SELECT "project_id", 'live', "url", "events", "active", "secret_ciphertext", 'v1+v2', "created_at", "updated_at" FROM `webhooks`;--> statement-breakpoint
DROP TABLE `webhooks`;--> statement-breakpoint
ALTER TABLE `__new_webhooks` RENAME TO `webhooks`;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `attempt_secret_hash` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `registration` text;--> statement-breakpoint
CREATE INDEX `onboarding_attempts_running_idx` ON `onboarding_attempts` (`started_at`) WHERE outcome IS NULL;--> statement-breakpoint
CREATE INDEX `onboarding_attempts_created_idx` ON `onboarding_attempts` (`created_at`);--> statement-breakpoint
-- The outbox trigger of 0004, now per mode: an event enters the outbox exactly when the
-- project's webhook of the invitation's mode is active and subscribed.
CREATE TRIGGER `invitations_status_change_event`
AFTER UPDATE OF `status` ON `invitations`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT INTO `invitation_events` (
    `id`, `invitation_id`, `project_id`, `mode`, `previous_status`, `current_status`, `created_at`,
    `client_name`, `client_email`, `connection_type`,
    `sender_id`, `connected_account_id`, `connected_account_channel`, `connected_account_name`,
    `failure_reason`, `delivery_state`
  )
  VALUES (
    'evt_' || lower(hex(randomblob(16))), NEW.`id`, NEW.`project_id`, NEW.`mode`,
    OLD.`status`, NEW.`status`,
    -- An expiry is dated expiresAt (lifecycle.ts sets updated_at so), whoever persists it.
    NEW.`updated_at`,
    NEW.`client_name`, NEW.`client_email`, NEW.`connection_type`,
    CASE WHEN NEW.`status` = 'completed' THEN NEW.`sender_id` END,
    CASE WHEN NEW.`status` = 'completed' THEN NEW.`connected_account_id` END,
    CASE WHEN NEW.`status` = 'completed' THEN NEW.`connected_account_channel` END,
    CASE WHEN NEW.`status` = 'completed' THEN NEW.`connected_account_name` END,
    CASE WHEN NEW.`status` = 'failed' THEN NEW.`failure_reason` END,
    CASE WHEN EXISTS (
      SELECT 1 FROM `webhooks` AS w, json_each(w.`events`) AS e
      WHERE w.`project_id` = NEW.`project_id` AND w.`mode` = NEW.`mode` AND w.`active` = 1
        AND e.`value` = 'invitation.status_changed'
    ) THEN 'pending' END
  );
END;
