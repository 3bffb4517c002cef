import { and, eq, sql } from "drizzle-orm";
import { type OnboardingAttemptRow, type OnboardingStep, onboardingAttempts } from "../db/schema";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { GraphError, type NumberProblem, numberErrorOutcome } from "../meta/errors";
import type { GraphPhoneNumber } from "../meta/graph";
import { waitFor } from "./attempts";
import type { ClientView } from "./client-view";
import { answer, type Flow, failure, finish, outcomeOf } from "./flow";
import { graphFor } from "./meta-client";
import { claimNumberFinish, type NumberState, openNumberState } from "./number-state";
import { checkNumber, connectNumber } from "./whatsapp";

/**
 * The invite page's number step, after Meta's window closed with a number Meta has not verified,
 * or with none (Embedded Signup v4). The attempt stays `in_progress` and the invitation shows
 * `onboardingStep`; these calls move it on:
 *   adding_number:    add-number  -> POST /<waba>/phone_numbers, then verifying_number
 *   verifying_number: request-code -> POST /<number>/request_code (SMS or voice)
 *                     verify-code  -> POST /<number>/verify_code, then register and complete
 * Meta's refusals that the client can mend (a wrong code, a limit to wait out, a number Meta
 * does not take) answer 200 with `problem` and leave the attempt as it was; those no retry can
 * mend (the token, a permission) fail the attempt like any Graph error.
 */

/** A new code may be asked for once a minute (Meta's own limits are not published). */
export const CODE_RESEND_WAIT_MS = 60_000;
/** Wrong codes accepted per code sent; then the client asks for a new one. */
export const CODE_GUESS_LIMIT = 5;
/** How long an attempt may wait in a number step before the sweep ends it. */
export const NUMBER_STEP_MAX_AGE_MS = 24 * 3_600_000;
/** An attempt in a number step belongs to its browser for this long after its last call. */
export const NUMBER_QUIET_WINDOW_MS = 10 * 60_000;

/** Meta's language of the code message per page language. */
const CODE_LANGUAGES = { en: "en_US", es: "es", pt: "pt_BR" } as const;

export type NumberProblemCode =
  | NumberProblem
  | "code_resend_wait"
  | "code_guess_limited"
  | "retry_later"
  | "phone_country_not_allowed"
  | "phone_number_mismatch";

export const NUMBER_PROBLEM_CODES = [
  "code_incorrect",
  "code_request_limited",
  "code_resend_wait",
  "code_guess_limited",
  "retry_later",
  "number_invalid",
  "number_rejected",
  "phone_country_not_allowed",
  "phone_number_mismatch",
  "meta_rate_limited",
  "meta_unavailable",
] as const satisfies readonly NumberProblemCode[];

export interface NumberReply extends ClientView {
  problem: { code: NumberProblemCode; retryAfter: number | null } | null;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function updateAttempt(
  flow: Flow,
  startedAt: number,
  changes: Partial<Pick<OnboardingAttemptRow, "codeRequestedAt" | "numberWaitUntil">> & {
    codeGuesses?: number | ReturnType<typeof sql>;
  },
) {
  return flow.db
    .update(onboardingAttempts)
    .set({ ...changes, updatedAt: flow.clock() })
    .where(
      and(
        eq(onboardingAttempts.invitationId, flow.found.invitation.id),
        eq(onboardingAttempts.startedAt, startedAt),
      ),
    );
}

/** The attempt's number state, after checking that it is in `step`. */
async function stepState(
  flow: Flow,
  attempt: OnboardingAttemptRow | undefined,
  step: OnboardingStep,
): Promise<{ attempt: OnboardingAttemptRow; state: NumberState }> {
  if (!attempt || attempt.numberStep !== step || !attempt.numberCiphertext) {
    throw new ApiError(
      "invalid_state",
      step === "adding_number"
        ? "This attempt is not waiting for a phone number to be added"
        : "This attempt is not waiting for its number to be verified",
      {
        details: {
          status: "in_progress",
          reason: "not_in_step",
          onboardingStep: attempt?.numberStep ?? null,
        },
      },
    );
  }
  return { attempt, state: await openNumberState(flow, attempt.numberCiphertext) };
}

async function reply(
  flow: Flow,
  problem: NumberReply["problem"],
  row = flow.found.invitation,
): Promise<NumberReply> {
  return { ...(await answer(flow, row)), problem };
}

/** Meta asked to wait (a limit): nothing is sent to Meta until then. */
function waiting(flow: Flow, attempt: OnboardingAttemptRow): NumberReply["problem"] {
  const until = attempt.numberWaitUntil;
  const now = flow.clock();
  return until !== null && until > now ? { code: "retry_later", retryAfter: seconds(until - now) } : null;
}

/**
 * A Graph error of a number call: a problem the client can mend (the attempt waits, and
 * `numberWaitUntil` holds Meta's limit), or the attempt's failure.
 */
async function graphProblem(
  flow: Flow,
  startedAt: number,
  error: unknown,
  step: string,
  extra: { codeGuesses?: ReturnType<typeof sql> } = {},
): Promise<NumberReply> {
  if (!(error instanceof GraphError)) {
    return reply(flow, null, await finish(flow, startedAt, outcomeOf(error, flow, step)));
  }
  const outcome = numberErrorOutcome(error);
  if (outcome.kind === "fail") {
    return reply(flow, null, await finish(flow, startedAt, failure(outcome.reason, step, error.message)));
  }
  logEvent("info", "onboarding_number_problem", {
    requestId: flow.requestId,
    invitationId: flow.found.invitation.id,
    step,
    problem: outcome.problem,
    code: error.code ?? null,
  });
  const waitUntil = outcome.retryAfterMs > 0 ? flow.clock() + outcome.retryAfterMs : null;
  await updateAttempt(flow, startedAt, {
    ...(waitUntil === null ? {} : { numberWaitUntil: waitUntil }),
    ...extra,
  });
  return reply(flow, {
    code: outcome.problem,
    retryAfter: outcome.retryAfterMs > 0 ? seconds(outcome.retryAfterMs) : null,
  });
}

export interface AddNumberInput {
  countryCode: string;
  phoneNumber: string;
  displayName: string;
}

/** adding_number: adds the client's number to their WABA; the number is then verified. */
export async function addNumber(
  flow: Flow,
  found: OnboardingAttemptRow | undefined,
  input: AddNumberInput,
): Promise<NumberReply> {
  const startedAt = flow.found.invitation.startedAt ?? 0;
  const { attempt, state } = await stepState(flow, found, "adding_number");
  const wait = waiting(flow, attempt);
  if (wait) return reply(flow, wait);
  const display = `+${input.countryCode} ${input.phoneNumber}`;
  const check = checkNumber(flow, display);
  if (check && check.reason !== "meta_error") return reply(flow, { code: check.reason, retryAfter: null });
  if (check) return reply(flow, { code: "number_invalid", retryAfter: null });
  const graph = graphFor(flow.env, flow.found.invitation, flow.meta, flow.requestId);
  let number: GraphPhoneNumber;
  try {
    const id = await graph.addPhoneNumber(state.token, state.wabaId, {
      cc: input.countryCode,
      phoneNumber: input.phoneNumber,
      verifiedName: input.displayName,
    });
    number = await graph.phoneNumber(state.token, id);
  } catch (error) {
    return graphProblem(flow, startedAt, error, "add_phone_number");
  }
  const row = await finish(flow, startedAt, {
    ok: "number_step",
    step: "verifying_number",
    state: { ...state, number },
  });
  return reply(flow, null, row);
}

/** verifying_number: asks Meta to send the code by SMS or voice call, in the page's language. */
export async function requestCode(
  flow: Flow,
  found: OnboardingAttemptRow | undefined,
  input: { method: "SMS" | "VOICE"; language: keyof typeof CODE_LANGUAGES },
): Promise<NumberReply> {
  const startedAt = flow.found.invitation.startedAt ?? 0;
  const { attempt, state } = await stepState(flow, found, "verifying_number");
  const wait = waiting(flow, attempt);
  if (wait) return reply(flow, wait);
  const now = flow.clock();
  if (attempt.codeRequestedAt !== null && now - attempt.codeRequestedAt < CODE_RESEND_WAIT_MS) {
    return reply(flow, {
      code: "code_resend_wait",
      retryAfter: seconds(attempt.codeRequestedAt + CODE_RESEND_WAIT_MS - now),
    });
  }
  const number = state.number;
  if (!number) throw new Error("verifying_number without a number");
  try {
    await graphFor(flow.env, flow.found.invitation, flow.meta, flow.requestId).requestCode(
      state.token,
      number.id,
      input.method,
      CODE_LANGUAGES[input.language],
    );
  } catch (error) {
    return graphProblem(flow, startedAt, error, "request_code");
  }
  await updateAttempt(flow, startedAt, { codeRequestedAt: now, codeGuesses: 0 });
  return reply(flow, null);
}

/** How long a verify-code that lost the finish waits for the winner's outcome. */
const FINISH_WAIT_MS = 30_000;

/** verifying_number: checks the code; a right one registers the number and completes. */
export async function verifyCode(
  flow: Flow,
  found: OnboardingAttemptRow | undefined,
  input: { code: string },
): Promise<NumberReply> {
  const invitation = flow.found.invitation;
  const startedAt = invitation.startedAt ?? 0;
  const { attempt, state } = await stepState(flow, found, "verifying_number");
  const wait = waiting(flow, attempt);
  if (wait) return reply(flow, wait);
  if (attempt.codeGuesses >= CODE_GUESS_LIMIT)
    return reply(flow, { code: "code_guess_limited", retryAfter: null });
  const number = state.number;
  if (!number) throw new Error("verifying_number without a number");
  try {
    await graphFor(flow.env, invitation, flow.meta, flow.requestId).verifyCode(
      state.token,
      number.id,
      input.code,
    );
  } catch (error) {
    return graphProblem(flow, startedAt, error, "verify_code", {
      codeGuesses: sql`${onboardingAttempts.codeGuesses} + 1`,
    });
  }
  // Verified: one call registers and completes; a concurrent one answers its outcome.
  if (!(await claimNumberFinish(flow.db, invitation.id, startedAt, flow.clock()))) {
    const waited = await waitFor(
      flow.db,
      invitation,
      (row) => row.status !== "in_progress",
      flow.meta.waitMs ?? FINISH_WAIT_MS,
    );
    return reply(flow, null, waited.row);
  }
  let outcome: Awaited<ReturnType<typeof connectNumber>>;
  try {
    outcome = await connectNumber(flow, state, { ...number, codeVerificationStatus: "VERIFIED" }, false);
  } catch (error) {
    outcome = outcomeOf(error, flow, "register");
  }
  return reply(flow, null, await finish(flow, startedAt, outcome));
}
