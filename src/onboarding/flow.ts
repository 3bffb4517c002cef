import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type InvitationRow, type OnboardingAttemptRow, type OnboardingStep, senders } from "../db/schema";
import { effectiveStatus, type FailureReason, transitionStatement } from "../invitations/lifecycle";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { isTestMode } from "../meta/config";
import { GraphError } from "../meta/errors";
import {
  type AttemptGuard,
  type SenderValues,
  senderIdSubquery,
  upsertSenderStatement,
} from "../senders/senders.repository";
import { attemptConnected, attemptUpdate, readInvitation } from "./attempts";
import { type ClientView, clientView, type InvitationByToken } from "./client-view";
import type { MetaOptions } from "./meta-client";
import { type NumberState, parkStatements } from "./number-state";

/** What a flow endpoint works with: the request's services and the invitation of the link. */
export interface Flow {
  db: Db;
  /** The request's session as bare D1 (src/db/session.ts), for raw statements in a batch. */
  d1: D1Database;
  env: Env;
  /** When the request arrived. */
  now: number;
  /** The app's clock: an outcome is written at the time it is known (after Meta's calls). */
  clock: () => number;
  encryptionKeys: string;
  meta: MetaOptions;
  requestId: string;
  found: InvitationByToken;
}

/** What a WhatsApp attempt did about the number's Cloud API registration. */
export type Registration = NonNullable<OnboardingAttemptRow["registration"]>;

/** How a connection attempt ended, before it is written. */
export type Outcome =
  | {
      ok: true;
      sender: SenderValues;
      account: { id: string; channel: "whatsapp" | "messenger"; name: string | null };
      /** WhatsApp only. */
      registration?: Registration;
    }
  | { ok: false; reason: FailureReason; step: string; detail: string }
  /** WhatsApp (Embedded Signup v4): the number must be verified, or added, on the invite page first. */
  | { ok: "number_step"; step: OnboardingStep; state: NumberState };

export function failure(reason: FailureReason, step: string, detail: string): Outcome {
  return { ok: false, reason, step, detail };
}

/** A thrown Graph error as a failed outcome; anything else as `internal_error`, logged whole. */
export function outcomeOf(error: unknown, flow: Flow, step: string): Outcome {
  if (error instanceof GraphError) return failure(error.reason, error.operation, error.message);
  logEvent("error", "onboarding_error", {
    requestId: flow.requestId,
    invitationId: flow.found.invitation.id,
    step,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  return failure("internal_error", step, "Unexpected error (see the service's logs)");
}

/** The client's view of `row` (with its connected number, read from its sender). */
export async function view(flow: Flow, row: InvitationRow): Promise<ClientView> {
  let connectedPhoneNumber =
    row.senderId === flow.found.invitation.senderId ? flow.found.connectedPhoneNumber : null;
  if (row.senderId && row.connectedAccountChannel === "whatsapp" && connectedPhoneNumber === null) {
    const [sender] = await flow.db
      .select({ phoneNumber: senders.phoneNumber })
      .from(senders)
      .where(eq(senders.id, row.senderId))
      .limit(1);
    connectedPhoneNumber = sender?.phoneNumber ?? null;
  }
  return clientView(
    row,
    {
      projectName: flow.found.projectName,
      assignedPhoneNumber: flow.found.assignedPhoneNumber,
      connectedPhoneNumber,
      testMode: isTestMode(flow.env, row),
    },
    flow.clock(),
  );
}

/** 410 for a link that no longer works: cancelled, expired, or (except for `complete`) used. */
export function gone(status: string): ApiError {
  const messages: Record<string, string> = {
    cancelled: "This invitation was cancelled by the sender.",
    expired: "This invitation has expired.",
    completed: "This invitation has already been used: the account is connected.",
  };
  return new ApiError("gone", messages[status] ?? "This invitation is no longer available.", {
    details: { status },
  });
}

export function invalidState(status: string, message: string): ApiError {
  return new ApiError("invalid_state", message, { details: { status } });
}

/** The answer once an outcome is known: the client's view, or 410 if the link closed meanwhile. */
export function answer(flow: Flow, row: InvitationRow): Promise<ClientView> {
  const status = effectiveStatus(row, flow.clock());
  if (status === "cancelled" || status === "expired") throw gone(status);
  return view(flow, row);
}

/**
 * Writes an attempt's outcome in one batch (one transaction): on success the sender, the
 * `complete` transition naming it, and the attempt's record; on failure the `fail` transition
 * and the record. The transitions only apply while the invitation is still on this attempt.
 */
export async function finish(flow: Flow, startedAt: number, outcome: Outcome): Promise<InvitationRow> {
  const { db } = flow;
  // Now, not when the request arrived: an invitation that expired during Meta's calls stays expired.
  const now = flow.clock();
  const d1 = flow.d1;
  const invitation = flow.found.invitation;
  const target = { id: invitation.id, startedAt };
  // drizzle builds the statements; D1's own batch runs them as one transaction.
  const statement = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
    const built = query.toSQL();
    return d1.prepare(built.sql).bind(...built.params);
  };
  let applied: boolean;
  if (outcome.ok === "number_step") {
    // The attempt waits on the invite page (still in_progress) for the number's next step.
    const [parked] = await d1.batch(
      (await parkStatements(flow, startedAt, outcome.step, outcome.state, now)).map(statement),
    );
    logEvent("info", "onboarding_number_step", {
      requestId: flow.requestId,
      invitationId: invitation.id,
      step: outcome.step,
      applied: (parked?.results.length ?? 0) === 1,
    });
  } else if (outcome.ok) {
    const guard: AttemptGuard = { invitationId: invitation.id, startedAt, now };
    const { sender } = outcome;
    const [, completed] = await d1.batch([
      upsertSenderStatement(d1, sender, guard),
      statement(
        transitionStatement(
          db,
          target,
          {
            event: "complete",
            senderId: senderIdSubquery(sender),
            connectedAccount: outcome.account,
          },
          now,
        ),
      ),
      // Written whether or not the attempt still held the invitation: the record says what
      // Meta was asked to do (a registration stays done even if the batch lost).
      statement(attemptConnected(db, invitation, startedAt, outcome.registration ?? null, now)),
    ]);
    applied = (completed?.results.length ?? 0) === 1;
    logEvent("info", "onboarding_completed", {
      requestId: flow.requestId,
      invitationId: invitation.id,
      channel: outcome.account.channel,
      applied,
    });
  } else {
    const [failed] = await d1.batch([
      statement(transitionStatement(db, target, { event: "fail", failureReason: outcome.reason }, now)),
      statement(
        attemptUpdate(
          db,
          invitation,
          startedAt,
          {
            outcome: "failed",
            failureStep: outcome.step.slice(0, 100),
            failureDetail: outcome.detail.slice(0, 1000),
            pagesCiphertext: null,
            failureReason: outcome.reason,
            numberCiphertext: null,
          },
          now,
        ),
      ),
    ]);
    applied = (failed?.results.length ?? 0) === 1;
    logEvent("warn", "onboarding_failed", {
      requestId: flow.requestId,
      invitationId: invitation.id,
      reason: outcome.reason,
      step: outcome.step,
      detail: outcome.detail,
      applied,
    });
  }
  return readInvitation(db, invitation.id);
}
