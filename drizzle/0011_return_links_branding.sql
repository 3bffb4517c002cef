ALTER TABLE `invitations` ADD `success_redirect_url` text;--> statement-breakpoint
ALTER TABLE `invitations` ADD `failure_redirect_url` text;--> statement-breakpoint
CREATE TABLE `invitation_branding` (
	`project_id` text NOT NULL,
	`mode` text NOT NULL,
	`display_name` text,
	`accent_color` text,
	`support_email` text,
	`support_url` text,
	`privacy_policy_url` text,
	`terms_url` text,
	`logo_hash` text,
	`logo_type` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `mode`)
);
--> statement-breakpoint
CREATE INDEX `invitation_branding_logo_hash_idx` ON `invitation_branding` (`logo_hash`);
