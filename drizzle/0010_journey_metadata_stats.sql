-- The partner sees the journey (docs/api.md): each attempt's end, failure reason, the step of
-- Meta's dialog the client gave up at and Meta's error code and session id; invitation
-- metadata (a JSON column, its keys indexed in a side table for the list's filter, and copied
-- into each webhook event); and the funnel's rollup, kept by triggers in the same statement as
-- each insert and change, per project, mode, connection type and UTC day (and per 16-day block,
-- so a year's window reads a few dozen rows). Hand-written; triggers beyond drizzle-kit.
ALTER TABLE `onboarding_attempts` ADD `ended_at` integer;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `failure_reason` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `abandoned_step` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `meta_error_code` text;--> statement-breakpoint
ALTER TABLE `onboarding_attempts` ADD `meta_session_id` text;--> statement-breakpoint
-- Attempts that ended before these columns: the end is their last update; the invitation's
-- failure reason is its latest attempt's; a cancel's step is what failure_step held.
UPDATE `onboarding_attempts` SET `ended_at` = `updated_at` WHERE `outcome` IS NOT NULL;
--> statement-breakpoint
UPDATE `onboarding_attempts` SET `failure_reason` = (
  SELECT i.`failure_reason` FROM `invitations` AS i
  WHERE i.`id` = `onboarding_attempts`.`invitation_id` AND i.`started_at` = `onboarding_attempts`.`started_at`
    AND i.`status` = 'failed'
) WHERE `outcome` = 'failed';
--> statement-breakpoint
UPDATE `onboarding_attempts` SET `abandoned_step` = `failure_step`
WHERE `outcome` = 'failed' AND `failure_reason` = 'fb_cancelled' AND `failure_step` IS NOT NULL
  AND length(`failure_step`) <= 64 AND `failure_step` NOT GLOB '*[^A-Za-z0-9_-]*';
--> statement-breakpoint
ALTER TABLE `invitations` ADD `metadata` text;--> statement-breakpoint
CREATE TABLE `invitation_metadata` (
	`project_id` text NOT NULL,
	`mode` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`invitation_id` text NOT NULL,
	PRIMARY KEY(`project_id`, `mode`, `key`, `value`, `created_at`, `invitation_id`)
);
--> statement-breakpoint
CREATE TRIGGER `invitations_metadata_insert`
AFTER INSERT ON `invitations`
WHEN NEW.`metadata` IS NOT NULL
BEGIN
  INSERT INTO `invitation_metadata` (`project_id`, `mode`, `key`, `value`, `created_at`, `invitation_id`)
  SELECT NEW.`project_id`, NEW.`mode`, m.`key`, m.`value`, NEW.`created_at`, NEW.`id`
  FROM json_each(NEW.`metadata`) AS m;
END;
--> statement-breakpoint
ALTER TABLE `invitation_events` ADD `metadata` text;--> statement-breakpoint
-- The outbox trigger of 0006, now with the invitation's metadata in each event.
DROP TRIGGER IF EXISTS `invitations_status_change_event`;
--> statement-breakpoint
CREATE TRIGGER `invitations_status_change_event`
AFTER UPDATE OF `status` ON `invitations`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT INTO `invitation_events` (
    `id`, `invitation_id`, `project_id`, `mode`, `previous_status`, `current_status`, `created_at`,
    `client_name`, `client_email`, `connection_type`,
    `sender_id`, `connected_account_id`, `connected_account_channel`, `connected_account_name`,
    `failure_reason`, `delivery_state`, `metadata`
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
    ) THEN 'pending' END,
    NEW.`metadata`
  );
END;
--> statement-breakpoint
-- Lower bounds of the duration histograms' buckets (ms; bucket 0 is [0, 1 s)): sqrt(2) apart,
-- so a median read from them is within about 21% (src/invitations/stats.ts).
CREATE TABLE `stats_duration_buckets` (
	`bucket` integer PRIMARY KEY NOT NULL,
	`lower_ms` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `stats_duration_buckets` (`bucket`, `lower_ms`) VALUES (1, 1000), (2, 1414), (3, 2000), (4, 2828), (5, 4000), (6, 5657), (7, 8000), (8, 11314), (9, 16000), (10, 22627), (11, 32000), (12, 45255), (13, 64000), (14, 90510), (15, 128000), (16, 181019), (17, 256000), (18, 362039), (19, 512000), (20, 724077), (21, 1024000), (22, 1448155), (23, 2048000), (24, 2896309), (25, 4096000), (26, 5792619), (27, 8192000), (28, 11585238), (29, 16384000), (30, 23170475), (31, 32768000), (32, 46340950), (33, 65536000), (34, 92681900), (35, 131072000), (36, 185363800), (37, 262144000), (38, 370727600), (39, 524288000), (40, 741455200), (41, 1048576000), (42, 1482910400), (43, 2097152000), (44, 2965820801), (45, 4194304000);
--> statement-breakpoint
CREATE TABLE `invitation_stats` (
	`project_id` text NOT NULL,
	`mode` text NOT NULL,
	`period_days` integer NOT NULL,
	`start_day` integer NOT NULL,
	`connection_type` text NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`viewed` integer DEFAULT 0 NOT NULL,
	`started` integer DEFAULT 0 NOT NULL,
	`pending` integer DEFAULT 0 NOT NULL,
	`in_progress` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`cancelled` integer DEFAULT 0 NOT NULL,
	`expired` integer DEFAULT 0 NOT NULL,
	`view_seconds` text DEFAULT '{}' NOT NULL,
	`complete_seconds` text DEFAULT '{}' NOT NULL,
	`failure_reasons` text DEFAULT '{}' NOT NULL,
	`abandoned_steps` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
);
--> statement-breakpoint
CREATE TRIGGER `invitations_stats_insert`
AFTER INSERT ON `invitations`
BEGIN
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 1, NEW.`created_at` / 86400000, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `created` = `created` + 1,
    `viewed` = `viewed` + (NEW.`viewed_at` IS NOT NULL),
    `started` = `started` + (NEW.`started_at` IS NOT NULL),
    `pending` = `pending` + (NEW.`status` = 'pending'),
    `in_progress` = `in_progress` + (NEW.`status` = 'in_progress'),
    `completed` = `completed` + (NEW.`status` = 'completed'),
    `failed` = `failed` + (NEW.`status` = 'failed'),
    `cancelled` = `cancelled` + (NEW.`status` = 'cancelled'),
    `expired` = `expired` + (NEW.`status` = 'expired'),
    `view_seconds` = CASE WHEN NEW.`viewed_at` IS NULL THEN `view_seconds` ELSE json_set(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"'), 0) + 1) END,
    `complete_seconds` = CASE WHEN NEW.`status` <> 'completed' OR NEW.`completed_at` IS NULL THEN `complete_seconds` ELSE json_set(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"'), 0) + 1) END
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 1 AND `start_day` = NEW.`created_at` / 86400000 AND `connection_type` = NEW.`connection_type`;
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 16, NEW.`created_at` / 86400000 / 16 * 16, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `created` = `created` + 1,
    `viewed` = `viewed` + (NEW.`viewed_at` IS NOT NULL),
    `started` = `started` + (NEW.`started_at` IS NOT NULL),
    `pending` = `pending` + (NEW.`status` = 'pending'),
    `in_progress` = `in_progress` + (NEW.`status` = 'in_progress'),
    `completed` = `completed` + (NEW.`status` = 'completed'),
    `failed` = `failed` + (NEW.`status` = 'failed'),
    `cancelled` = `cancelled` + (NEW.`status` = 'cancelled'),
    `expired` = `expired` + (NEW.`status` = 'expired'),
    `view_seconds` = CASE WHEN NEW.`viewed_at` IS NULL THEN `view_seconds` ELSE json_set(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"'), 0) + 1) END,
    `complete_seconds` = CASE WHEN NEW.`status` <> 'completed' OR NEW.`completed_at` IS NULL THEN `complete_seconds` ELSE json_set(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"'), 0) + 1) END
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 16 AND `start_day` = NEW.`created_at` / 86400000 / 16 * 16 AND `connection_type` = NEW.`connection_type`;
END;
--> statement-breakpoint
CREATE TRIGGER `invitations_stats_status`
AFTER UPDATE OF `status` ON `invitations`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 1, NEW.`created_at` / 86400000, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `pending` = `pending` + (NEW.`status` = 'pending') - (OLD.`status` = 'pending'),
    `in_progress` = `in_progress` + (NEW.`status` = 'in_progress') - (OLD.`status` = 'in_progress'),
    `completed` = `completed` + (NEW.`status` = 'completed') - (OLD.`status` = 'completed'),
    `failed` = `failed` + (NEW.`status` = 'failed') - (OLD.`status` = 'failed'),
    `cancelled` = `cancelled` + (NEW.`status` = 'cancelled') - (OLD.`status` = 'cancelled'),
    `expired` = `expired` + (NEW.`status` = 'expired') - (OLD.`status` = 'expired'),
    `complete_seconds` = CASE WHEN NEW.`status` <> 'completed' OR NEW.`completed_at` IS NULL THEN `complete_seconds` ELSE json_set(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"'), 0) + 1) END
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 1 AND `start_day` = NEW.`created_at` / 86400000 AND `connection_type` = NEW.`connection_type`;
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 16, NEW.`created_at` / 86400000 / 16 * 16, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `pending` = `pending` + (NEW.`status` = 'pending') - (OLD.`status` = 'pending'),
    `in_progress` = `in_progress` + (NEW.`status` = 'in_progress') - (OLD.`status` = 'in_progress'),
    `completed` = `completed` + (NEW.`status` = 'completed') - (OLD.`status` = 'completed'),
    `failed` = `failed` + (NEW.`status` = 'failed') - (OLD.`status` = 'failed'),
    `cancelled` = `cancelled` + (NEW.`status` = 'cancelled') - (OLD.`status` = 'cancelled'),
    `expired` = `expired` + (NEW.`status` = 'expired') - (OLD.`status` = 'expired'),
    `complete_seconds` = CASE WHEN NEW.`status` <> 'completed' OR NEW.`completed_at` IS NULL THEN `complete_seconds` ELSE json_set(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`complete_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`completed_at` - NEW.`created_at`)) || '"'), 0) + 1) END
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 16 AND `start_day` = NEW.`created_at` / 86400000 / 16 * 16 AND `connection_type` = NEW.`connection_type`;
END;
--> statement-breakpoint
CREATE TRIGGER `invitations_stats_viewed`
AFTER UPDATE OF `viewed_at` ON `invitations`
WHEN OLD.`viewed_at` IS NULL AND NEW.`viewed_at` IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 1, NEW.`created_at` / 86400000, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `viewed` = `viewed` + 1,
    `view_seconds` = json_set(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"'), 0) + 1)
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 1 AND `start_day` = NEW.`created_at` / 86400000 AND `connection_type` = NEW.`connection_type`;
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 16, NEW.`created_at` / 86400000 / 16 * 16, NEW.`connection_type`);
  UPDATE `invitation_stats` SET
    `viewed` = `viewed` + 1,
    `view_seconds` = json_set(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"', coalesce(json_extract(`view_seconds`, '$."' || (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (NEW.`viewed_at` - NEW.`created_at`)) || '"'), 0) + 1)
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 16 AND `start_day` = NEW.`created_at` / 86400000 / 16 * 16 AND `connection_type` = NEW.`connection_type`;
END;
--> statement-breakpoint
CREATE TRIGGER `invitations_stats_started`
AFTER UPDATE OF `started_at` ON `invitations`
WHEN OLD.`started_at` IS NULL AND NEW.`started_at` IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 1, NEW.`created_at` / 86400000, NEW.`connection_type`);
  UPDATE `invitation_stats` SET `started` = `started` + 1
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 1 AND `start_day` = NEW.`created_at` / 86400000 AND `connection_type` = NEW.`connection_type`;
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  VALUES (NEW.`project_id`, NEW.`mode`, 16, NEW.`created_at` / 86400000 / 16 * 16, NEW.`connection_type`);
  UPDATE `invitation_stats` SET `started` = `started` + 1
  WHERE `project_id` = NEW.`project_id` AND `mode` = NEW.`mode` AND `period_days` = 16 AND `start_day` = NEW.`created_at` / 86400000 / 16 * 16 AND `connection_type` = NEW.`connection_type`;
END;
--> statement-breakpoint
CREATE TRIGGER `onboarding_attempts_ended`
AFTER UPDATE OF `outcome` ON `onboarding_attempts`
WHEN OLD.`outcome` IS NULL AND NEW.`outcome` IS NOT NULL
BEGIN
  UPDATE `onboarding_attempts` SET `ended_at` = NEW.`updated_at`
  WHERE `invitation_id` = NEW.`invitation_id` AND `started_at` = NEW.`started_at`;
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  SELECT i.`project_id`, i.`mode`, 1, i.`created_at` / 86400000, i.`connection_type` FROM `invitations` AS i WHERE i.`id` = NEW.`invitation_id`;
  UPDATE `invitation_stats` SET
    `failure_reasons` = CASE WHEN NEW.`outcome` = 'failed' AND NEW.`failure_reason` IS NOT NULL THEN json_set(`failure_reasons`, '$."' || NEW.`failure_reason` || '"', coalesce(json_extract(`failure_reasons`, '$."' || NEW.`failure_reason` || '"'), 0) + 1) ELSE `failure_reasons` END,
    `abandoned_steps` = CASE WHEN NEW.`outcome` = 'failed' AND NEW.`abandoned_step` IS NOT NULL THEN json_set(`abandoned_steps`, '$."' || NEW.`abandoned_step` || '"', coalesce(json_extract(`abandoned_steps`, '$."' || NEW.`abandoned_step` || '"'), 0) + 1) ELSE `abandoned_steps` END
  WHERE (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`) = (SELECT i.`project_id`, i.`mode`, 1, i.`created_at` / 86400000, i.`connection_type` FROM `invitations` AS i WHERE i.`id` = NEW.`invitation_id`);
  INSERT OR IGNORE INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`)
  SELECT i.`project_id`, i.`mode`, 16, i.`created_at` / 86400000 / 16 * 16, i.`connection_type` FROM `invitations` AS i WHERE i.`id` = NEW.`invitation_id`;
  UPDATE `invitation_stats` SET
    `failure_reasons` = CASE WHEN NEW.`outcome` = 'failed' AND NEW.`failure_reason` IS NOT NULL THEN json_set(`failure_reasons`, '$."' || NEW.`failure_reason` || '"', coalesce(json_extract(`failure_reasons`, '$."' || NEW.`failure_reason` || '"'), 0) + 1) ELSE `failure_reasons` END,
    `abandoned_steps` = CASE WHEN NEW.`outcome` = 'failed' AND NEW.`abandoned_step` IS NOT NULL THEN json_set(`abandoned_steps`, '$."' || NEW.`abandoned_step` || '"', coalesce(json_extract(`abandoned_steps`, '$."' || NEW.`abandoned_step` || '"'), 0) + 1) ELSE `abandoned_steps` END
  WHERE (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`) = (SELECT i.`project_id`, i.`mode`, 16, i.`created_at` / 86400000 / 16 * 16, i.`connection_type` FROM `invitations` AS i WHERE i.`id` = NEW.`invitation_id`);
END;
--> statement-breakpoint
INSERT INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`, `created`, `viewed`, `started`, `pending`, `in_progress`, `completed`, `failed`, `cancelled`, `expired`)
SELECT `project_id`, `mode`, 1, `created_at` / 86400000, `connection_type`, count(*), count(`viewed_at`), count(`started_at`), sum(`status` = 'pending'), sum(`status` = 'in_progress'), sum(`status` = 'completed'), sum(`status` = 'failed'), sum(`status` = 'cancelled'), sum(`status` = 'expired')
FROM `invitations` GROUP BY `project_id`, `mode`, `created_at` / 86400000, `connection_type`;
--> statement-breakpoint
INSERT INTO `invitation_stats` (`project_id`, `mode`, `period_days`, `start_day`, `connection_type`, `created`, `viewed`, `started`, `pending`, `in_progress`, `completed`, `failed`, `cancelled`, `expired`)
SELECT `project_id`, `mode`, 16, `created_at` / 86400000 / 16 * 16, `connection_type`, count(*), count(`viewed_at`), count(`started_at`), sum(`status` = 'pending'), sum(`status` = 'in_progress'), sum(`status` = 'completed'), sum(`status` = 'failed'), sum(`status` = 'cancelled'), sum(`status` = 'expired')
FROM `invitations` GROUP BY `project_id`, `mode`, `created_at` / 86400000 / 16 * 16, `connection_type`;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `view_seconds` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 AS d, i.`connection_type` AS c, (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (i.`viewed_at` - i.`created_at`)) AS k, count(*) AS n
    FROM `invitations` AS i WHERE i.`viewed_at` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 1 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `complete_seconds` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 AS d, i.`connection_type` AS c, (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (i.`completed_at` - i.`created_at`)) AS k, count(*) AS n
    FROM `invitations` AS i WHERE i.`status` = 'completed' AND i.`completed_at` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 1 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `failure_reasons` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 AS d, i.`connection_type` AS c, a.`failure_reason` AS k, count(*) AS n
    FROM `onboarding_attempts` AS a JOIN `invitations` AS i ON i.`id` = a.`invitation_id` WHERE a.`outcome` = 'failed' AND a.`failure_reason` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 1 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `abandoned_steps` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 AS d, i.`connection_type` AS c, a.`abandoned_step` AS k, count(*) AS n
    FROM `onboarding_attempts` AS a JOIN `invitations` AS i ON i.`id` = a.`invitation_id` WHERE a.`outcome` = 'failed' AND a.`abandoned_step` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 1 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `view_seconds` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 / 16 * 16 AS d, i.`connection_type` AS c, (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (i.`viewed_at` - i.`created_at`)) AS k, count(*) AS n
    FROM `invitations` AS i WHERE i.`viewed_at` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 16 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `complete_seconds` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 / 16 * 16 AS d, i.`connection_type` AS c, (SELECT count(*) FROM `stats_duration_buckets` WHERE `lower_ms` <= (i.`completed_at` - i.`created_at`)) AS k, count(*) AS n
    FROM `invitations` AS i WHERE i.`status` = 'completed' AND i.`completed_at` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 16 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `failure_reasons` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 / 16 * 16 AS d, i.`connection_type` AS c, a.`failure_reason` AS k, count(*) AS n
    FROM `onboarding_attempts` AS a JOIN `invitations` AS i ON i.`id` = a.`invitation_id` WHERE a.`outcome` = 'failed' AND a.`failure_reason` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 16 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;
--> statement-breakpoint
UPDATE `invitation_stats` AS s SET `abandoned_steps` = h.j
FROM (
  SELECT p, m, d, c, json_group_object(k, n) AS j FROM (
    SELECT i.`project_id` AS p, i.`mode` AS m, i.`created_at` / 86400000 / 16 * 16 AS d, i.`connection_type` AS c, a.`abandoned_step` AS k, count(*) AS n
    FROM `onboarding_attempts` AS a JOIN `invitations` AS i ON i.`id` = a.`invitation_id` WHERE a.`outcome` = 'failed' AND a.`abandoned_step` IS NOT NULL GROUP BY p, m, d, c, k
  ) GROUP BY p, m, d, c
) AS h
WHERE s.`period_days` = 16 AND s.`project_id` = h.p AND s.`mode` = h.m AND s.`start_day` = h.d AND s.`connection_type` = h.c;

