ALTER TABLE `invitations` ADD `onboarding_step` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `number_step` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `number_ciphertext` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `number_step_at` integer;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `code_requested_at` integer;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `code_guesses` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `number_wait_until` integer;
