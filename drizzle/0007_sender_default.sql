-- A sender's own name (set by the partner) and the project's default sender per mode.
ALTER TABLE `senders` ADD `custom_name` text;--> statement-breakpoint
ALTER TABLE `senders` ADD `is_default` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Senders connected before: the oldest of each project and mode becomes its default.
UPDATE `senders` SET `is_default` = 1 WHERE `id` = (
  SELECT s2.`id` FROM `senders` s2
  WHERE s2.`project_id` = `senders`.`project_id` AND s2.`mode` = `senders`.`mode`
  ORDER BY s2.`created_at`, s2.`id` LIMIT 1
);--> statement-breakpoint
-- At most one default per project and mode: a second one is refused by the database.
CREATE UNIQUE INDEX `senders_project_mode_default_unique` ON `senders` (`project_id`,`mode`) WHERE is_default = 1;
