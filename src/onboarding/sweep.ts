import { and, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { invitations, onboardingAttempts } from "../db/schema";
import { transitionStatement } from "../invitations/lifecycle";
import { logEvent } from "../lib/log";
import { attemptUpdate } from "./attempts";
import { NUMBER_STEP_MAX_AGE_MS } from "./number";

/**
 * An attempt with no outcome after this long is over: its Worker died mid-connect, or the
 * browser went away without reporting. Meta's window rarely stays open 10 minutes.
 */
export const ATTEMPT_MAX_AGE_MS = 60 * 60_000;
/** Stale attempts handled per cron run; the next run takes the rest. */
export const ATTEMPT_SWEEP_LIMIT = 200;

/**
 * The cron's sweep of attempts. An attempt older than ATTEMPT_MAX_AGE_MS without an outcome
 * fails its invitation (`signup_abandoned`, only while the invitation is still on that attempt,
 * through the state machine, whose trigger writes the event) and is closed. Attempts whose
 * invitation left them without an outcome being written (a partner's cancel, an expiry) lose
 * their sealed Page tokens at once, whatever their age.
 */
export async function sweepStaleAttempts(db: Db, now: number): Promise<{ failed: number; closed: number }> {
  // An attempt waiting in a number step (the client adds a number or waits for its code) has
  // NUMBER_STEP_MAX_AGE_MS from the step's start instead; it then fails with the step's reason.
  const stale = await db
    .select({
      invitationId: onboardingAttempts.invitationId,
      startedAt: onboardingAttempts.startedAt,
      numberStep: onboardingAttempts.numberStep,
    })
    .from(onboardingAttempts)
    .where(
      and(
        isNull(onboardingAttempts.outcome),
        lte(onboardingAttempts.startedAt, now - ATTEMPT_MAX_AGE_MS),
        or(
          isNull(onboardingAttempts.numberStep),
          lte(onboardingAttempts.numberStepAt, now - NUMBER_STEP_MAX_AGE_MS),
        ),
      ),
    )
    .limit(ATTEMPT_SWEEP_LIMIT);
  let failed = 0;
  for (const attempt of stale) {
    const reason =
      attempt.numberStep === "verifying_number"
        ? "number_not_verified"
        : attempt.numberStep === "adding_number"
          ? "number_not_added"
          : "signup_abandoned";
    const [moved] = await db.batch([
      transitionStatement(
        db,
        { id: attempt.invitationId, startedAt: attempt.startedAt },
        { event: "fail", failureReason: reason },
        now,
      ),
      attemptUpdate(
        db,
        { id: attempt.invitationId },
        attempt.startedAt,
        {
          outcome: "failed",
          failureStep: "sweep",
          failureDetail: attempt.numberStep
            ? `Still ${attempt.numberStep} ${NUMBER_STEP_MAX_AGE_MS / 3_600_000} hours after the step began`
            : `No outcome within ${ATTEMPT_MAX_AGE_MS / 60_000} minutes`,
          pagesCiphertext: null,
          failureReason: reason,
          numberCiphertext: null,
        },
        now,
      ),
    ]);
    if (moved.length === 1) failed += 1;
  }
  // Running attempts holding Page tokens whose invitation is no longer on them.
  const closed = await db
    .update(onboardingAttempts)
    .set({
      pagesCiphertext: null,
      numberCiphertext: null,
      outcome: "failed",
      failureStep: "closed",
      updatedAt: now,
    })
    .where(
      and(
        isNull(onboardingAttempts.outcome),
        or(isNotNull(onboardingAttempts.pagesCiphertext), isNotNull(onboardingAttempts.numberCiphertext)),
        sql`NOT EXISTS (SELECT 1 FROM ${invitations} WHERE ${invitations.id} = ${onboardingAttempts.invitationId} AND ${invitations.startedAt} = ${onboardingAttempts.startedAt} AND ${invitations.status} = 'in_progress')`,
      ),
    )
    .returning({ invitationId: onboardingAttempts.invitationId });
  logEvent("info", "attempt_sweep", { failed, stale: stale.length, closed: closed.length });
  return { failed, closed: closed.length };
}
