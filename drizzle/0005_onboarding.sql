CREATE TABLE `onboarding_attempts` (
	`invitation_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`exchange_claimed_at` integer,
	`complete_claimed_at` integer,
	`pages_ciphertext` text,
	`outcome` text,
	`failure_step` text,
	`failure_detail` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`invitation_id`, `started_at`),
	FOREIGN KEY (`invitation_id`) REFERENCES `invitations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `senders` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`channel` text NOT NULL,
	`provider_account_id` text NOT NULL,
	`waba_id` text,
	`business_id` text,
	`phone_number` text,
	`display_phone_number` text,
	`name` text,
	`mode` text NOT NULL,
	`invitation_id` text NOT NULL,
	`access_token_ciphertext` text NOT NULL,
	`pin_ciphertext` text,
	`registered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `senders_project_account_unique` ON `senders` (`project_id`,`channel`,`provider_account_id`);--> statement-breakpoint
CREATE INDEX `senders_project_created_idx` ON `senders` (`project_id`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `mode` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE `invitations` ADD `mode` text DEFAULT 'live' NOT NULL;