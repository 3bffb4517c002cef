import { and, eq, inArray, isNull, lte } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { metaWebhookInbox } from "../db/schema";
import { describeError, logEvent } from "../lib/log";
import type { WebhookMessage } from "../webhooks/outbox";

/**
 * Meta's webhook deliveries, one inbox row per change (`entry[].changes[]`). The row's id is a
 * SHA-256 of the change (object, entry id and time, field, value): Meta's retries and repeats
 * of a delivery land on the same rows and are stored, queued and applied once. A row is
 * applied by the queue consumer (src/meta-webhooks/apply.ts); one whose message was lost is
 * queued again by the cron once its lease lapses.
 */

/** How long a queued change may wait before the cron presumes its message lost. */
export const META_CHANGE_LEASE_MS = 5 * 60 * 1000;
/** A stored value larger than this is kept as a stub (D1 rows are capped; nothing reads it). */
const MAX_STORED_VALUE_CHARS = 256 * 1024;

export interface MetaChange {
  object: string;
  entryId: string;
  entryTime: number | null;
  field: string;
  value: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The changes of a delivery, or null when the body is not Meta's shape (`{ object, entry: [...] }`). */
export function changesOf(payload: unknown): MetaChange[] | null {
  if (!isObject(payload) || typeof payload.object !== "string" || !Array.isArray(payload.entry)) return null;
  const changes: MetaChange[] = [];
  for (const entry of payload.entry) {
    if (!isObject(entry)) continue;
    const entryId = entry.id === undefined || entry.id === null ? "" : String(entry.id);
    const entryTime = typeof entry.time === "number" && Number.isFinite(entry.time) ? entry.time : null;
    for (const change of Array.isArray(entry.changes) ? entry.changes : []) {
      if (!isObject(change) || typeof change.field !== "string") continue;
      changes.push({
        object: payload.object,
        entryId,
        entryTime,
        field: change.field,
        value: isObject(change.value) ? change.value : {},
      });
    }
  }
  return changes;
}

/**
 * What is kept of a change's value: no message contents or contact names (the `history`
 * threads, the `smb_app_state_sync` contacts), only what this service acts on.
 */
export function storedValue(change: MetaChange): string {
  const value = change.value;
  if (change.field === "history") {
    const history = Array.isArray(value.history) ? value.history : [];
    return JSON.stringify({
      metadata: value.metadata,
      history: history.map((h) => (isObject(h) ? { metadata: h.metadata, errors: h.errors } : {})),
    });
  }
  if (change.field === "smb_app_state_sync") {
    return JSON.stringify({
      metadata: value.metadata,
      stateSyncItems: Array.isArray(value.state_sync) ? value.state_sync.length : 0,
    });
  }
  const text = JSON.stringify(value);
  return text.length <= MAX_STORED_VALUE_CHARS
    ? text
    : JSON.stringify({ truncated: true, chars: text.length });
}

async function changeId(change: MetaChange): Promise<string> {
  const key = JSON.stringify([change.object, change.entryId, change.entryTime, change.field, change.value]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return `mwh_${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Stores the changes not seen before; returns the ids of those newly stored. */
export async function storeChanges(db: Db, changes: MetaChange[], now: number): Promise<string[]> {
  if (changes.length === 0) return [];
  const rows = await Promise.all(
    changes.map(async (change) => ({
      id: await changeId(change),
      object: change.object,
      entryId: change.entryId,
      field: change.field,
      value: storedValue(change),
      entryTime: change.entryTime,
      receivedAt: now,
      leaseUntil: now + META_CHANGE_LEASE_MS,
    })),
  );
  const [first, ...rest] = rows.map((row) =>
    db.insert(metaWebhookInbox).values(row).onConflictDoNothing().returning({ id: metaWebhookInbox.id }),
  );
  if (!first) return [];
  const inserted = await db.batch([first, ...rest]);
  return inserted.flat().map((r) => r.id);
}

export async function queueChanges(env: Env, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(
      ids.slice(i, i + 100).map((metaChangeId) => ({
        body: { metaChangeId } satisfies WebhookMessage,
        contentType: "json" as const,
      })),
    );
  }
}

/**
 * The cron's part: changes still unapplied whose lease lapsed (their message lost, or Meta's
 * delivery stored but not queued) are queued again. Never throws.
 */
export async function requeueOpenChanges(env: Env, now: number, limit = 100): Promise<number> {
  const db = createDb(env.DB);
  try {
    const due = and(isNull(metaWebhookInbox.processedAt), lte(metaWebhookInbox.leaseUntil, now));
    const batch = db.select({ id: metaWebhookInbox.id }).from(metaWebhookInbox).where(due).limit(limit);
    const claimed = await db
      .update(metaWebhookInbox)
      .set({ leaseUntil: now + META_CHANGE_LEASE_MS })
      .where(and(inArray(metaWebhookInbox.id, batch), due))
      .returning({ id: metaWebhookInbox.id });
    await queueChanges(
      env,
      claimed.map((r) => r.id),
    );
    if (claimed.length > 0) logEvent("info", "meta_webhook_requeue", { queued: claimed.length });
    return claimed.length;
  } catch (error) {
    logEvent("error", "meta_webhook_requeue_failed", { error: describeError(error) });
    return 0;
  }
}

/** Marks the change applied (or ignored); false when another consumer already did. */
export function markProcessed(db: Db, id: string, outcome: string, now: number) {
  return db
    .update(metaWebhookInbox)
    .set({ processedAt: now, outcome, leaseUntil: null })
    .where(and(eq(metaWebhookInbox.id, id), isNull(metaWebhookInbox.processedAt)))
    .returning({ id: metaWebhookInbox.id });
}
