import type { InvitationEventRow, InvitationStatus } from "../db/schema";

/** The body POSTed to a webhook (docs/webhooks.md; CONTRACT.md). */
export interface StatusChangedEvent {
  id: string;
  type: "invitation.status_changed";
  /** When the change happened (Unix ms): an expiry is dated expiresAt. */
  timestamp: number;
  projectId: string;
  data: {
    invitationId: string;
    clientName: string | null;
    clientEmail: string | null;
    connectionType: string | null;
    previousStatus: InvitationStatus;
    currentStatus: InvitationStatus;
    senderId?: string | null;
    connectedAccount?: { id: string; channel: string; name: string | null } | null;
    failureReason?: string | null;
  };
}

/** Built from the event row alone: it holds what the event reports as of the change. */
export function statusChangedEvent(row: InvitationEventRow): StatusChangedEvent {
  const data: StatusChangedEvent["data"] = {
    invitationId: row.invitationId,
    clientName: row.clientName,
    clientEmail: row.clientEmail,
    connectionType: row.connectionType,
    previousStatus: row.previousStatus,
    currentStatus: row.currentStatus,
  };
  if (row.currentStatus === "completed") {
    data.senderId = row.senderId;
    data.connectedAccount =
      row.connectedAccountId === null
        ? null
        : {
            id: row.connectedAccountId,
            channel: row.connectedAccountChannel ?? "whatsapp",
            name: row.connectedAccountName,
          };
  }
  if (row.currentStatus === "failed") data.failureReason = row.failureReason;
  return {
    id: row.id,
    type: "invitation.status_changed",
    timestamp: row.createdAt,
    projectId: row.projectId,
    data,
  };
}
