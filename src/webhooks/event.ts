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
    /** The invitation's metadata as it was at the change; `{}` when none. */
    metadata: Record<string, string>;
  };
}

function parseMetadata(text: string | null): Record<string, string> {
  if (text === null) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, string>)
      : {};
  } catch {
    return {};
  }
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
    metadata: parseMetadata(row.metadata),
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
