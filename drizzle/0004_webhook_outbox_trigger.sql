-- Custom migration (drizzle-kit generate --custom): triggers are beyond drizzle-kit.
-- Replaces the trigger of 0001 so that the event row written inside the status-changing UPDATE
-- is also the webhook outbox entry (src/webhooks/outbox.ts). It snapshots what the event
-- reports as it is at that moment (a later retry clears failure_reason; completed carries the
-- sender and connected account), and it enters the outbox (`pending`) exactly when the project
-- has an active webhook subscribed to invitation.status_changed. Every writer of `status`,
-- present or future, gets this without remembering to publish anything.
DROP TRIGGER IF EXISTS `invitations_status_change_event`;
--> statement-breakpoint
CREATE TRIGGER `invitations_status_change_event`
AFTER UPDATE OF `status` ON `invitations`
WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  INSERT INTO `invitation_events` (
    `id`, `invitation_id`, `project_id`, `previous_status`, `current_status`, `created_at`,
    `client_name`, `client_email`, `connection_type`,
    `sender_id`, `connected_account_id`, `connected_account_channel`, `connected_account_name`,
    `failure_reason`, `delivery_state`
  )
  VALUES (
    'evt_' || lower(hex(randomblob(16))), NEW.`id`, NEW.`project_id`, OLD.`status`, NEW.`status`,
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
      WHERE w.`project_id` = NEW.`project_id` AND w.`active` = 1
        AND e.`value` = 'invitation.status_changed'
    ) THEN 'pending' END
  );
END;
