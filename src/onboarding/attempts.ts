import { and, count, eq, gt, isNull, min, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type InvitationRow, invitations, type OnboardingAttemptRow, onboardingAttempts } from "../db/schema";
import { randomToken, sha256Hex, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { DeviceClass } from "../lib/user-agent";

/** The header that carries the attempt's secret on `pages`, `complete`, `fail` (and `start`). */
export const ATTEMPT_SECRET_HEADER = "X-Attempt-Secret";
/** A running attempt younger than this that reported nothing belongs to its browser alone. */
export const ATTEMPT_QUIET_WINDOW_MS = 2 * 60_000;
/** At most this many attempts per invitation in ATTEMPT_CAP_WINDOW_MS. */
export const ATTEMPT_CAP = 20;
export const ATTEMPT_CAP_WINDOW_MS = 24 * 3_600_000;

/** A new attempt's secret (for the browser) and its hash (for the database). */
export async function newAttemptSecret(): Promise<{ secret: string; hash: string }> {
  const secret = randomToken(32);
  return { secret, hash: await sha256Hex(secret) };
}

/** Whether `secret` is the one `start` gave for `attempt` (constant-time on the hashes). */
export async function holdsAttempt(
  attempt: Pick<OnboardingAttemptRow, "attemptSecretHash"> | undefined,
  secret: string | undefined,
): Promise<boolean> {
  if (!attempt?.attemptSecretHash || !secret || secret.length > 200) return false;
  return timingSafeEqual(await sha256Hex(secret), attempt.attemptSecretHash);
}

/** The 401 of a call without the current attempt's secret: it changed nothing. */
export function notYourAttempt(): ApiError {
  return new ApiError(
    "unauthorized",
    `This connection attempt belongs to the browser that started it: send its ${ATTEMPT_SECRET_HEADER}, or call start again`,
    { details: { header: ATTEMPT_SECRET_HEADER } },
  );
}

/**
 * The 429 once an invitation had ATTEMPT_CAP attempts in the last ATTEMPT_CAP_WINDOW_MS, with
 * `Retry-After` until the oldest of them leaves the window; null while under the cap.
 */
export async function attemptCapError(db: Db, invitationId: string, now: number): Promise<ApiError | null> {
  const since = now - ATTEMPT_CAP_WINDOW_MS;
  const [row] = await db
    .select({ n: count(), oldest: min(onboardingAttempts.startedAt) })
    .from(onboardingAttempts)
    .where(and(eq(onboardingAttempts.invitationId, invitationId), gt(onboardingAttempts.startedAt, since)));
  if (!row || row.n < ATTEMPT_CAP) return null;
  const retryAfter = Math.max(1, Math.ceil(((row.oldest ?? now) + ATTEMPT_CAP_WINDOW_MS - now) / 1000));
  return new ApiError(
    "rate_limited",
    `This link was used for ${ATTEMPT_CAP} attempts in 24 hours; retry after the time in Retry-After`,
    {
      details: { reason: "attempt_cap", limit: ATTEMPT_CAP },
      headers: { "Retry-After": String(retryAfter) },
    },
  );
}

/**
 * Records a new attempt, owned by the holder of `secretHash`, with the device's coarse class
 * (never the User-Agent itself).
 */
export async function recordAttempt(
  db: Db,
  invitationId: string,
  startedAt: number,
  secretHash: string,
  device: DeviceClass | null = null,
) {
  await db.insert(onboardingAttempts).values({
    invitationId,
    startedAt,
    attemptSecretHash: secretHash,
    deviceClass: device,
    createdAt: startedAt,
    updatedAt: startedAt,
  });
}

/**
 * What the page reports of Meta's dialog (a CANCEL's `current_step`, an error's code and
 * session id) is kept only when it looks like such an identifier; anything else is dropped
 * rather than stored, so free text from a browser never reaches the partner's stats.
 */
const META_IDENTIFIER = /^[A-Za-z0-9_.:-]{1,64}$/;
export function metaIdentifier(value: string | undefined): string | null {
  return value !== undefined && META_IDENTIFIER.test(value) ? value : null;
}

/**
 * Claims of one attempt (invitation, startedAt). Meta's code is single-use and `register` is
 * limited, so of concurrent calls (a double click, a reload, two tabs) exactly one may act: a
 * claim is an upsert that sets its column only where it is still NULL, and returns the row only
 * to the call that set it. D1 runs each statement atomically, so two claims cannot both win.
 */
export type Claim = "exchangeClaimedAt" | "completeClaimedAt";

const COLUMN = {
  exchangeClaimedAt: onboardingAttempts.exchangeClaimedAt,
  completeClaimedAt: onboardingAttempts.completeClaimedAt,
} as const;

export async function claim(db: Db, invitation: InvitationRow, which: Claim, now: number): Promise<boolean> {
  if (invitation.startedAt === null) return false;
  const rows = await db
    .insert(onboardingAttempts)
    .values({
      invitationId: invitation.id,
      startedAt: invitation.startedAt,
      [which]: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [onboardingAttempts.invitationId, onboardingAttempts.startedAt],
      set: { [which]: now, updatedAt: now },
      setWhere: isNull(COLUMN[which]),
    })
    .returning({ invitationId: onboardingAttempts.invitationId });
  return rows.length === 1;
}

export async function findAttempt(db: Db, invitationId: string, startedAt: number | null) {
  if (startedAt === null) return undefined;
  const [row] = await db
    .select()
    .from(onboardingAttempts)
    .where(
      and(eq(onboardingAttempts.invitationId, invitationId), eq(onboardingAttempts.startedAt, startedAt)),
    )
    .limit(1);
  return row;
}

/** The write that records how an attempt ended, for the same batch as the transition. */
export function attemptUpdate(
  db: Db,
  invitation: Pick<InvitationRow, "id">,
  startedAt: number,
  changes: Partial<
    Pick<
      OnboardingAttemptRow,
      | "outcome"
      | "failureStep"
      | "failureDetail"
      | "pagesCiphertext"
      | "registration"
      | "failureReason"
      | "abandonedStep"
      | "metaErrorCode"
      | "metaSessionId"
      | "numberCiphertext"
    >
  >,
  now: number,
) {
  return db
    .update(onboardingAttempts)
    .set({ ...changes, updatedAt: now })
    .where(
      and(eq(onboardingAttempts.invitationId, invitation.id), eq(onboardingAttempts.startedAt, startedAt)),
    );
}

/**
 * The record of an attempt that Meta connected, for the batch that also runs the `complete`
 * transition: `completed` only if that transition applied; an attempt that lost its race
 * (cancel, expiry, a newer start) ended without a connection. Its Pages tokens are cleared.
 */
export function attemptConnected(
  db: Db,
  invitation: Pick<InvitationRow, "id">,
  startedAt: number,
  registration: OnboardingAttemptRow["registration"],
  now: number,
) {
  return db
    .update(onboardingAttempts)
    .set({
      outcome: sql`CASE WHEN EXISTS (SELECT 1 FROM ${invitations} WHERE ${invitations.id} = ${invitation.id} AND ${invitations.startedAt} = ${startedAt} AND ${invitations.status} = 'completed') THEN 'completed' ELSE 'failed' END`,
      pagesCiphertext: null,
      numberCiphertext: null,
      registration,
      updatedAt: now,
    })
    .where(
      and(eq(onboardingAttempts.invitationId, invitation.id), eq(onboardingAttempts.startedAt, startedAt)),
    );
}

export async function readInvitation(db: Db, id: string): Promise<InvitationRow> {
  const [row] = await db.select().from(invitations).where(eq(invitations.id, id)).limit(1);
  if (!row) throw new Error(`invitation ${id} vanished`);
  return row;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (bounded, with backoff) until `done` holds for the invitation and its attempt, for a
 * call that lost a claim. Returns the last state read, done or not.
 */
export async function waitFor(
  db: Db,
  invitation: InvitationRow,
  done: (row: InvitationRow, attempt: OnboardingAttemptRow | undefined) => boolean,
  maxWaitMs: number,
): Promise<{ row: InvitationRow; attempt: OnboardingAttemptRow | undefined }> {
  const deadline = Date.now() + maxWaitMs;
  let delay = 25;
  for (;;) {
    const [row] = await db.select().from(invitations).where(eq(invitations.id, invitation.id)).limit(1);
    if (!row) throw new Error(`invitation ${invitation.id} vanished`);
    const attempt = await findAttempt(db, invitation.id, invitation.startedAt);
    if (done(row, attempt) || row.startedAt !== invitation.startedAt || Date.now() >= deadline) {
      return { row, attempt };
    }
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 1_000);
  }
}
