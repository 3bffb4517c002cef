-- Custom migration (drizzle-kit generate --custom): every status change of an invitation is
-- recorded in invitation_events by the database itself, inside the UPDATE that makes it. The
-- state machine (src/invitations/lifecycle.ts) is the only writer of `status`; this trigger
-- guarantees that each change it wins is recorded exactly once, even under races.
CREATE TRIGGER `invitations_status_change_event`
AFTER UPDATE OF `status` ON `invitations`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT INTO `invitation_events` (`id`, `invitation_id`, `project_id`, `previous_status`, `current_status`, `created_at`)
  VALUES ('evt_' || lower(hex(randomblob(16))), NEW.`id`, NEW.`project_id`, OLD.`status`, NEW.`status`, NEW.`updated_at`);
END;
