CREATE TABLE `webhook_deliveries` (
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
	FOREIGN KEY (`event_id`) REFERENCES `invitation_events`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_project_created_idx` ON `webhook_deliveries` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`project_id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`active` integer NOT NULL,
	`secret_ciphertext` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `client_name` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `client_email` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `connection_type` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `sender_id` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `connected_account_id` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `connected_account_channel` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `connected_account_name` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `failure_reason` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `delivery_state` text;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `delivery_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `lease_until` integer;--> statement-breakpoint
CREATE INDEX `invitation_events_outbox_idx` ON `invitation_events` (`delivery_state`,`lease_until`) WHERE delivery_state IN ('pending', 'queued');