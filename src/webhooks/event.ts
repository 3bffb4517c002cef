import type { InvitationEventRow, InvitationStatus, SenderEventRow, SenderStatus } from "../db/schema";

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

/** The body of `sender.status_changed` (docs/webhooks.md). */
export interface SenderStatusChangedEvent {
  id: string;
  type: "sender.status_changed";
  /** When the status changed (Unix ms). */
  timestamp: number;
  projectId: string;
  data: {
    senderId: string;
    channel: string;
    previousStatus: SenderStatus;
    currentStatus: SenderStatus;
    /** Meta's event (`PARTNER_REMOVED`, ...) or error (`graph_error_190`), or null. */
    reason: string | null;
  };
}

export function senderStatusChangedEvent(row: SenderEventRow): SenderStatusChangedEvent {
  return {
    id: row.id,
    type: "sender.status_changed",
    timestamp: row.createdAt,
    projectId: row.projectId,
    data: {
      senderId: row.senderId,
      channel: row.channel,
      previousStatus: row.previousStatus,
      currentStatus: row.currentStatus,
      reason: row.reason,
    },
  };
}
