ALTER TABLE `invitations` ADD `phone_number_type` text;--> statement-breakpoint
ALTER TABLE `invitations` ADD `language` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `redirect_state_hash` text;
