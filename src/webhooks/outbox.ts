import { and, eq, inArray, lte, or } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { invitationEvents, senderEvents, type WebhookEventType } from "../db/schema";
import { describeError, logEvent } from "../lib/log";

/**
 * The transactional outbox. The database trigger writes each event row, with
 * `delivery_state = 'pending'` when the project has an active webhook, in the very statement
 * that changes the status (drizzle/0004_webhook_outbox_trigger.sql). From there:
 *
 *   pending --claim + sendBatch--> queued --consumer--> delivered | failed (dead-lettered) | skipped
 *
 * A claim is one conditional UPDATE … RETURNING, so two dispatchers never claim the same row,
 * and it takes a lease: a row still `queued` when its lease runs out (the Worker died between
 * claim and send, or the queue lost it) is claimed again. The consumer extends the lease past
 * each retry's delay. So every event reaches the queue at least once; receivers deduplicate
 * by `id`.
 */

/** How long a queued event may go without news before the queue is presumed to have lost it. */
export const OUTBOX_LEASE_MS = 15 * 60 * 1000;
/** Rows per claim: one `sendBatch` takes at most 100 messages. */
const CLAIM_BATCH = 100;
/** Claims per dispatch run, so one run stays within a Worker's limits. */
const MAX_CLAIMS_PER_RUN = 10;

/** A partner event to deliver (its id), or a Meta webhook change to apply (src/meta-webhooks/). */
export type WebhookMessage =
  | { eventId: string; metaChangeId?: undefined }
  | { metaChangeId: string; eventId?: undefined };

/** The two outboxes: invitation events, and sender events (`sender.status_changed`, drizzle/0009). */
export const OUTBOXES = [invitationEvents, senderEvents] as const;
/** Their ids (`evt_` and 16 random bytes, from the triggers) do not meet across the two. */
export type Outbox = (typeof OUTBOXES)[number];

/** The type of the events an outbox holds. */
export function eventTypeOf(outbox: Outbox): WebhookEventType {
  return outbox === invitationEvents ? "invitation.status_changed" : "sender.status_changed";
}

/** Claims up to `limit` events of `outbox` that are due for the queue: pending, or queued with a lapsed lease. */
export async function claimOutboxEvents(
  db: Db,
  now: number,
  outbox: Outbox,
  limit = CLAIM_BATCH,
): Promise<string[]> {
  const due = or(
    eq(outbox.deliveryState, "pending"),
    and(eq(outbox.deliveryState, "queued"), lte(outbox.leaseUntil, now)),
  );
  const batch = db.select({ id: outbox.id }).from(outbox).where(due).limit(limit);
  const claimed = await db
    .update(outbox)
    .set({ deliveryState: "queued", leaseUntil: now + OUTBOX_LEASE_MS })
    .where(and(inArray(outbox.id, batch), due))
    .returning({ id: outbox.id });
  return claimed.map((row) => row.id);
}

/**
 * Moves every due outbox event to the queue. Run after any request that may have changed a
 * status (in waitUntil, off the response path), by the expiry sweep and by the Cron Trigger.
 * Never throws: a failure leaves rows for the next run.
 */
export async function dispatchPendingEvents(env: Env, now: number): Promise<number> {
  const db = createDb(env.DB);
  // Both outboxes at once: neither waits for the other.
  const counts = await Promise.all(
    OUTBOXES.map(async (outbox) => {
      let sent = 0;
      try {
        for (let round = 0; round < MAX_CLAIMS_PER_RUN; round++) {
          const ids = await claimOutboxEvents(db, now, outbox);
          if (ids.length === 0) break;
          await env.WEBHOOK_QUEUE.sendBatch(
            ids.map((eventId) => ({
              body: { eventId } satisfies WebhookMessage,
              contentType: "json" as const,
            })),
          );
          sent += ids.length;
          if (ids.length < CLAIM_BATCH) break;
        }
      } catch (error) {
        // Claimed rows stay `queued` until their lease lapses; the cron then sends them again.
        logEvent("error", "webhook_dispatch_failed", { sent, error: describeError(error) });
      }
      return sent;
    }),
  );
  const sent = counts.reduce((a, b) => a + b, 0);
  if (sent > 0) logEvent("info", "webhook_dispatch", { sent });
  return sent;
}
