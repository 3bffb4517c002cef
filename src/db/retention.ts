import { and, isNotNull, lt, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import { metaWebhookInbox, onboardingAttempts, webhookDeliveries } from "./schema";

const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION_DAYS = 30;

/** Var RETENTION_DAYS (docs/operations.md): a positive integer, else the default. */
export function retentionDays(env: Env): number {
  const n = Number(env.RETENTION_DAYS);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_RETENTION_DAYS;
}

/** Deletes the rows `where` selects, oldest first, `batchSize` per statement, at most `maxBatches`. */
async function purge(
  db: Db,
  table: SQLiteTable,
  where: ReturnType<typeof and>,
  createdAt:
    | typeof webhookDeliveries.createdAt
    | typeof onboardingAttempts.createdAt
    | typeof metaWebhookInbox.receivedAt,
  { batchSize, maxBatches }: { batchSize: number; maxBatches: number },
): Promise<number> {
  let purged = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    // On the created_at index: the oldest rows first, without a scan of the recent ones.
    const old = db.select({ rowid: sql`rowid` }).from(table).where(where).orderBy(createdAt).limit(batchSize);
    const result = await db.run(sql`DELETE FROM ${table} WHERE rowid IN ${old}`);
    purged += result.meta.changes;
    if (result.meta.changes < batchSize) break;
  }
  return purged;
}

/**
 * Forgets webhook deliveries, onboarding attempts that have ended and Meta's webhook changes
 * already processed, created (received) more than `days`
 * ago (run by the cron every 5 minutes). Each table: up to `maxBatches` statements of
 * `batchSize` rows a run, so one run stays short however large the backlog; the next run
 * continues. Attempts still running are kept whatever their age (the flow may yet end them).
 */
export async function purgeOldRecords(
  db: Db,
  now: number,
  days: number,
  { batchSize = 1_000, maxBatches = 50 } = {},
): Promise<{ deliveries: number; attempts: number; metaWebhookChanges: number }> {
  const before = now - days * DAY_MS;
  const bounds = { batchSize, maxBatches };
  const deliveries = await purge(
    db,
    webhookDeliveries,
    lt(webhookDeliveries.createdAt, before),
    webhookDeliveries.createdAt,
    bounds,
  );
  const attempts = await purge(
    db,
    onboardingAttempts,
    and(lt(onboardingAttempts.createdAt, before), isNotNull(onboardingAttempts.outcome)),
    onboardingAttempts.createdAt,
    bounds,
  );
  // Meta's webhook changes, applied or ignored (src/meta-webhooks/): kept as long as deliveries.
  const metaWebhookChanges = await purge(
    db,
    metaWebhookInbox,
    and(lt(metaWebhookInbox.receivedAt, before), isNotNull(metaWebhookInbox.processedAt)),
    metaWebhookInbox.receivedAt,
    bounds,
  );
  return { deliveries, attempts, metaWebhookChanges };
}
