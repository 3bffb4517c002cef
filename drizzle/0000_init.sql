CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_project_idx` ON `api_keys` (`project_id`);--> statement-breakpoint
CREATE TABLE `invitation_events` (
	`id` text PRIMARY KEY NOT NULL,
	`invitation_id` text NOT NULL,
	`project_id` text NOT NULL,
	`previous_status` text NOT NULL,
	`current_status` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`invitation_id`) REFERENCES `invitations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invitation_events_invitation_idx` ON `invitation_events` (`invitation_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`token_ciphertext` text NOT NULL,
	`client_name` text,
	`client_email` text,
	`client_phone` text,
	`phone_number_id` text,
	`connection_type` text NOT NULL,
	`allowed_phone_countries` text,
	`status` text NOT NULL,
	`sender_id` text,
	`connected_account_id` text,
	`connected_account_channel` text,
	`connected_account_name` text,
	`failure_reason` text,
	`expires_at` integer NOT NULL,
	`viewed_at` integer,
	`started_at` integer,
	`completed_at` integer,
	`failed_at` integer,
	`cancelled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_token_hash_unique` ON `invitations` (`token_hash`);--> statement-breakpoint
CREATE INDEX `invitations_project_created_idx` ON `invitations` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `invitations_project_status_created_idx` ON `invitations` (`project_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `invitations_status_expires_idx` ON `invitations` (`status`,`expires_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_open_phone_number_unique` ON `invitations` (`phone_number_id`) WHERE phone_number_id IS NOT NULL AND status IN ('pending', 'in_progress', 'failed');--> statement-breakpoint
CREATE TABLE `phone_numbers` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`phone_number` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_numbers_project_number_unique` ON `phone_numbers` (`project_id`,`phone_number`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
