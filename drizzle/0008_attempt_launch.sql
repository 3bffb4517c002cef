ALTER TABLE `onboarding_attempts` ADD `launch` text DEFAULT 'popup' NOT NULL;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `device_class` text;