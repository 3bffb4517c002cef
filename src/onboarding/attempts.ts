import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { type InvitationRow, invitations, type OnboardingAttemptRow, onboardingAttempts } from "../db/schema";

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
    Pick<OnboardingAttemptRow, "outcome" | "failureStep" | "failureDetail" | "pagesCiphertext">
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
