import { and, eq, gt, inArray, isNull, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  type InvitationRow,
  type InvitationStatus,
  invitations,
  type KeyMode,
  OPEN_STATUSES,
} from "../db/schema";
import { mayQueueEvents } from "../db/session";
import type { FailureReason } from "./failure-reasons";

/**
 * The invitation state machine: the only code that writes `invitations.status`.
 *
 *   pending --view--> pending (viewedAt set)
 *   pending|failed --start--> in_progress (startedAt)
 *   in_progress --complete--> completed (completedAt, senderId, connectedAccount)
 *   in_progress --fail--> failed (failedAt, failureReason)
 *   pending|in_progress|failed --cancel--> cancelled
 *   pending|in_progress|failed --expire (expiresAt passed)--> expired
 *   completed, cancelled, expired: terminal
 *
 * Each transition is one conditional UPDATE (`WHERE id = ? AND status IN (from…)`), so of two
 * racing writers exactly one wins and the loser sees `null`. A database trigger records each
 * change won in `invitation_events` (drizzle/0001_invitation_events_trigger.sql).
 *
 * Expiry is a fact of time, not of the sweep: an open invitation whose `expiresAt` has passed
 * reads as `expired` everywhere (effectiveStatus), accepts no other transition, and is
 * persisted as `expired` by the cron sweep or by whoever touches it first.
 */

export { OPEN_STATUSES };
export const TRANSITIONS = {
  start: { from: ["pending", "failed"], to: "in_progress" },
  complete: { from: ["in_progress"], to: "completed" },
  fail: { from: ["in_progress"], to: "failed" },
  cancel: { from: OPEN_STATUSES, to: "cancelled" },
  expire: { from: OPEN_STATUSES, to: "expired" },
} as const satisfies Record<string, { from: readonly InvitationStatus[]; to: InvitationStatus }>;

export {
  CLIENT_FAILURE_REASONS,
  FAILURE_REASON_MEANINGS,
  FAILURE_REASONS,
  type FailureReason,
} from "./failure-reasons";

export type TransitionInput =
  | { event: "start" }
  | { event: "cancel" }
  | { event: "expire" }
  | { event: "fail"; failureReason: FailureReason }
  | {
      event: "complete";
      /** A sender id, or a subquery for one written in the same batch (src/senders). */
      senderId: string | SQL;
      connectedAccount: { id: string; channel: "whatsapp" | "messenger"; name: string | null };
    };

export function isOpen(status: InvitationStatus): boolean {
  return (OPEN_STATUSES as readonly InvitationStatus[]).includes(status);
}

/** The status a reader sees: an open invitation past `expiresAt` is expired. */
export function effectiveStatus(
  row: Pick<InvitationRow, "status" | "expiresAt">,
  now: number,
): InvitationStatus {
  return isOpen(row.status) && row.expiresAt <= now ? "expired" : row.status;
}

/** `updatedAt` as a reader sees it: an invitation that expired by time changed at `expiresAt`. */
export function effectiveUpdatedAt(
  row: Pick<InvitationRow, "status" | "expiresAt" | "updatedAt">,
  now: number,
): number {
  return effectiveStatus(row, now) === "expired" && isOpen(row.status)
    ? Math.max(row.updatedAt, row.expiresAt)
    : row.updatedAt;
}

function changesFor(input: TransitionInput, now: number) {
  switch (input.event) {
    case "start":
      // A retry after `failed` starts afresh: the old failure no longer describes it.
      // `startedAt` names the attempt (its row's key), so a start in the same millisecond as
      // the last one takes the next: each start is its own attempt, in order.
      return {
        startedAt: sql`MAX(${now}, COALESCE(${invitations.startedAt} + 1, 0))`,
        failedAt: null,
        failureReason: null,
        onboardingStep: null,
      };
    case "complete":
      return {
        completedAt: now,
        senderId: input.senderId,
        connectedAccountId: input.connectedAccount.id,
        connectedAccountChannel: input.connectedAccount.channel,
        connectedAccountName: input.connectedAccount.name,
      };
    case "fail":
      return { failedAt: now, failureReason: input.failureReason };
    case "cancel":
      return { cancelledAt: now };
    case "expire":
      return {};
  }
}

/** Which invitation a transition applies to. */
export interface TransitionTarget {
  id: string;
  /** Only in this project (the partner API). */
  projectId?: string;
  /** Only in this mode (the partner API: a key reaches its own mode's invitations). */
  mode?: KeyMode;
  /** Only while this attempt is the current one (the flow endpoints: a late answer of an
   * attempt the client abandoned and restarted must not decide the new one). */
  startedAt?: number;
  /** Optimistic concurrency: only if `updatedAt` is still this. */
  unchangedSince?: number;
}

/**
/**
 * The conditional UPDATE that applies `input` to invitation `id` if its current status allows
 * it, as a statement to run alone or in a `db.batch` (one transaction) with the writes that go
 * with it. It returns the updated row, or none when the invitation does not exist (in
 * `projectId`, if given) or is not in a state the event applies to, including an open one whose
 * `expiresAt` has passed (only `expire` applies to those).
 */
export function transitionStatement(db: Db, target: TransitionTarget, input: TransitionInput, now: number) {
  const rule = TRANSITIONS[input.event];
  const isExpire = input.event === "expire";
  // The status trigger writes the change's event in this statement.
  mayQueueEvents(db);
  return db
    .update(invitations)
    .set({
      status: rule.to,
      ...changesFor(input, now),
      // An expiry happened at expiresAt, whenever it is persisted.
      updatedAt: isExpire ? sql`${invitations.expiresAt}` : now,
    })
    .where(
      and(
        eq(invitations.id, target.id),
        target.projectId === undefined ? undefined : eq(invitations.projectId, target.projectId),
        target.mode === undefined ? undefined : eq(invitations.mode, target.mode),
        target.startedAt === undefined ? undefined : eq(invitations.startedAt, target.startedAt),
        target.unchangedSince === undefined ? undefined : eq(invitations.updatedAt, target.unchangedSince),
        inArray(invitations.status, [...rule.from]),
        isExpire ? lte(invitations.expiresAt, now) : gt(invitations.expiresAt, now),
      ),
    )
    .returning();
}

/** The row as `transitionStatement` would leave it, for a response written with the change. */
export function afterTransition(row: InvitationRow, input: TransitionInput, now: number): InvitationRow {
  const rule = TRANSITIONS[input.event];
  return {
    ...row,
    status: rule.to,
    ...changesFor(input, now),
    updatedAt: input.event === "expire" ? row.expiresAt : now,
  } as InvitationRow;
}

/** `transitionStatement` run alone: the updated row, or null when the event did not apply. */
export async function transition(
  db: Db,
  target: TransitionTarget,
  input: TransitionInput,
  now: number,
): Promise<InvitationRow | null> {
  const [row] = await transitionStatement(db, target, input, now);
  return row ?? null;
}

/** Sets `viewedAt` the first time the client opens a pending link. Not a status change. */
export async function markViewed(db: Db, id: string, now: number): Promise<void> {
  await db
    .update(invitations)
    .set({ viewedAt: now, updatedAt: now })
    .where(
      and(
        eq(invitations.id, id),
        eq(invitations.status, "pending"),
        isNull(invitations.viewedAt),
        gt(invitations.expiresAt, now),
      ),
    );
}

/**
 * Persists `expired` for up to `limit` open invitations past `expiresAt` (all projects, or
 * those holding `phoneNumberId`). One statement: the inner SELECT bounds the batch, the outer
 * conditions keep it safe against a racing transition. Returns how many it expired.
 */
export async function expireOverdue(
  db: Db,
  now: number,
  options: { limit: number; phoneNumberId?: string },
): Promise<number> {
  return (await expireOverdueStatement(db, now, options)).length;
}

/** `expireOverdue` as a statement for a `db.batch`. */
export function expireOverdueStatement(
  db: Db,
  now: number,
  options: { limit: number; phoneNumberId?: string },
) {
  const overdue = and(
    inArray(invitations.status, [...OPEN_STATUSES]),
    lte(invitations.expiresAt, now),
    options.phoneNumberId === undefined ? undefined : eq(invitations.phoneNumberId, options.phoneNumberId),
  );
  const batch = db.select({ id: invitations.id }).from(invitations).where(overdue).limit(options.limit);
  mayQueueEvents(db);
  return db
    .update(invitations)
    .set({ status: "expired", updatedAt: sql`${invitations.expiresAt}` })
    .where(and(inArray(invitations.id, batch), overdue))
    .returning({ id: invitations.id });
}
