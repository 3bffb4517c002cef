import { and, eq, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type SenderRow, type SenderStatus, senders } from "../db/schema";
import { mayQueueEvents } from "../db/session";
import { GraphError } from "../meta/errors";

/**
 * Moves the senders `where` selects to `status`, only those not in it already: an unchanged
 * status writes nothing, so the trigger (drizzle/0009) records exactly one `sender_events` row
 * per real change, however often Meta repeats itself.
 */
export function setSenderStatus(
  db: Db,
  where: SQL | undefined,
  status: SenderStatus,
  reason: string | null,
  now: number,
) {
  // A request that changes a status dispatches the outbox after its response.
  mayQueueEvents(db);
  return (
    db
      .update(senders)
      .set({ status, statusReason: reason, statusChangedAt: now, updatedAt: now })
      // No target is no sender (never every sender).
      .where(where === undefined ? sql`0` : and(where, ne(senders.status, status)))
  );
}

/** The reason a sender event gives for Graph's error 190. */
export const TOKEN_INVALID_REASON = "graph_error_190";

/**
 * Graph's error 190 (token invalid, expired or revoked) on a call for this sender: it needs a
 * new connection (an invitation for the same number renews the token on the same sender).
 */
export async function markIfTokenInvalid(db: Db, row: SenderRow, error: unknown, now: number): Promise<void> {
  if (!(error instanceof GraphError) || error.code !== 190) return;
  await setSenderStatus(db, eq(senders.id, row.id), "reauthorization_required", TOKEN_INVALID_REASON, now);
}
