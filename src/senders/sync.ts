import type { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type SenderRow, senders } from "../db/schema";
import type { WhatsappSyncStatusSchema } from "./senders.schemas";

/**
 * The WhatsApp Business app syncs of a coexistence number (Meta's `smb_app_data`). Meta takes
 * each kind once, and only within 24 hours of the onboarding (the connection that completed the
 * invitation); the data then comes through its `smb_app_state_sync` and `history` webhooks
 * (src/meta-webhooks/apply.ts), which move the statuses on.
 */
export const SYNC_WINDOW_MS = 24 * 60 * 60 * 1000;

export type SyncKind = "contacts" | "history";

type SyncStatus = z.infer<typeof WhatsappSyncStatusSchema>;

/** When Meta's window for the sender's syncs closes (Unix ms). */
export function syncWindowEnd(row: SenderRow): number {
  return (row.connectedAt ?? row.createdAt) + SYNC_WINDOW_MS;
}

/** The SDK's account status: the two states it lacks read as their nearest. */
function sdkStatus(row: SenderRow): SyncStatus["status"] {
  if (row.status === "restricted") return "active";
  if (row.status === "reauthorization_required") return "disconnected";
  return row.status;
}

export function syncStatusOf(row: SenderRow, isCoexistence: boolean, now: number): SyncStatus {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const open = isCoexistence && row.status === "active" && now < syncWindowEnd(row);
  return {
    isCoexistence,
    status: sdkStatus(row),
    contacts: {
      canSync: open && row.contactsSyncStatus === "not_requested",
      status: row.contactsSyncStatus,
      requestedAt: iso(row.contactsSyncRequestedAt),
    },
    history: {
      canSync: open && row.historySyncStatus === "not_requested",
      status: row.historySyncStatus,
      requestedAt: iso(row.historySyncRequestedAt),
      completedAt: iso(row.historySyncCompletedAt),
    },
  };
}

/**
 * Claims the kind's request (not_requested → pending) so that two concurrent starts cannot both
 * call Meta; the row as claimed, or undefined when it was requested already.
 */
export async function claimSync(
  db: Db,
  id: string,
  kind: SyncKind,
  now: number,
): Promise<SenderRow | undefined> {
  const [row] = await db
    .update(senders)
    .set(
      kind === "contacts"
        ? { contactsSyncStatus: "pending", contactsSyncRequestedAt: now }
        : { historySyncStatus: "pending", historySyncRequestedAt: now },
    )
    .where(
      and(
        eq(senders.id, id),
        kind === "contacts"
          ? eq(senders.contactsSyncStatus, "not_requested")
          : eq(senders.historySyncStatus, "not_requested"),
      ),
    )
    .returning();
  return row;
}

/** Meta refused the request: the kind can be asked again. */
export async function releaseSync(db: Db, id: string, kind: SyncKind): Promise<void> {
  await db
    .update(senders)
    .set(
      kind === "contacts"
        ? { contactsSyncStatus: "not_requested", contactsSyncRequestedAt: null }
        : { historySyncStatus: "not_requested", historySyncRequestedAt: null },
    )
    .where(
      and(
        eq(senders.id, id),
        kind === "contacts"
          ? eq(senders.contactsSyncStatus, "pending")
          : eq(senders.historySyncStatus, "pending"),
      ),
    );
}
