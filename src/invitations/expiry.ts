import type { Db } from "../db/client";
import { logEvent } from "../lib/log";
import { expireOverdue } from "./lifecycle";

/** Expired invitations persisted per batch and per run: bounded so a run stays well in limits. */
export const SWEEP_BATCH_SIZE = 500;
export const SWEEP_MAX_BATCHES = 20;

/**
 * The Cron Trigger's work. Reads already show overdue invitations as expired; this makes it
 * true in storage (and records each transition) in bounded batches, judged at `now` (the
 * trigger's scheduled time). What one run leaves over, the next one takes.
 */
export async function sweepExpiredInvitations(db: Db, now: number): Promise<number> {
  let expired = 0;
  for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
    const count = await expireOverdue(db, now, { limit: SWEEP_BATCH_SIZE });
    expired += count;
    if (count < SWEEP_BATCH_SIZE) break;
  }
  logEvent("info", "expiry_sweep", { expired, at: new Date(now).toISOString() });
  return expired;
}
