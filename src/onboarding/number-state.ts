import { and, eq, gt, isNotNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { invitations, type OnboardingStep, onboardingAttempts } from "../db/schema";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import type { GraphPhoneNumber } from "../meta/graph";
import type { Flow } from "./flow";

/**
 * What finishing a WhatsApp attempt needs once Meta's window closed with a number that is not
 * verified yet, or with none (Embedded Signup v4): the business token, the WABA, its owner and funding,
 * and the number (absent until one is added). Sealed on the attempt (`number_ciphertext`),
 * cleared on any outcome; it never leaves the server.
 */
export interface NumberState {
  token: string;
  wabaId: string;
  businessId: string | null;
  /** Whether the WABA had a funding source (`primary_funding_id`); optional in older sealed states. */
  funded?: boolean;
  number: GraphPhoneNumber | null;
}

const COLUMN = "onboarding_attempts.number_ciphertext";

export function sealNumberState(flow: Pick<Flow, "encryptionKeys">, state: NumberState): Promise<string> {
  return encryptSecret(flow.encryptionKeys, JSON.stringify(state), COLUMN);
}

export async function openNumberState(
  flow: Pick<Flow, "encryptionKeys">,
  sealed: string,
): Promise<NumberState> {
  return JSON.parse(await decryptSecret(flow.encryptionKeys, sealed, COLUMN)) as NumberState;
}

/** The invitation shows the step while it is still in_progress on this attempt (and not expired). */
export function invitationStepStatement(
  db: Db,
  invitationId: string,
  startedAt: number,
  step: OnboardingStep | null,
  now: number,
) {
  return db
    .update(invitations)
    .set({ onboardingStep: step, updatedAt: now })
    .where(
      and(
        eq(invitations.id, invitationId),
        eq(invitations.startedAt, startedAt),
        eq(invitations.status, "in_progress"),
        gt(invitations.expiresAt, now),
      ),
    )
    .returning({ id: invitations.id });
}

/** The writes that park an attempt on a number step (one batch): the invitation's step, the attempt's state. */
export async function parkStatements(
  flow: Flow,
  startedAt: number,
  step: OnboardingStep,
  state: NumberState,
  now: number,
) {
  const invitationId = flow.found.invitation.id;
  return [
    invitationStepStatement(flow.db, invitationId, startedAt, step, now),
    flow.db
      .update(onboardingAttempts)
      .set({
        numberStep: step,
        numberCiphertext: await sealNumberState(flow, state),
        numberStepAt: now,
        codeRequestedAt: null,
        codeGuesses: 0,
        updatedAt: now,
      })
      .where(
        and(eq(onboardingAttempts.invitationId, invitationId), eq(onboardingAttempts.startedAt, startedAt)),
      ),
  ] as const;
}

/**
 * Takes the number step of an attempt for the one call that finishes it (register, sender): a
 * conditional write, so of two concurrent `verify-code` calls only one registers.
 */
export async function claimNumberFinish(db: Db, invitationId: string, startedAt: number, now: number) {
  const rows = await db
    .update(onboardingAttempts)
    .set({ numberStep: null, updatedAt: now })
    .where(
      and(
        eq(onboardingAttempts.invitationId, invitationId),
        eq(onboardingAttempts.startedAt, startedAt),
        eq(onboardingAttempts.numberStep, "verifying_number"),
        isNotNull(onboardingAttempts.numberCiphertext),
      ),
    )
    .returning({ invitationId: onboardingAttempts.invitationId });
  return rows.length === 1;
}
