/**
 * src/onboarding/ is what the invite page's buttons do on the server (POST
 * /invite/:token/start|pages|complete|fail: the attempts, Meta, the connection); the page itself
 * (its HTML, script, stylesheet, languages) is src/invite/.
 */
import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { InvitationRow } from "../db/schema";
import { effectiveStatus, transition } from "../invitations/lifecycle";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { createRouter } from "../lib/openapi";
import { deviceClass } from "../lib/user-agent";
import { isMetaMissing } from "../meta/config";
import {
  ATTEMPT_QUIET_WINDOW_MS,
  ATTEMPT_SECRET_HEADER,
  attemptCapError,
  attemptUpdate,
  claim,
  findAttempt,
  holdsAttempt,
  metaIdentifier,
  newAttemptSecret,
  notYourAttempt,
  readInvitation,
  recordAttempt,
  waitFor,
} from "./attempts";
import { findByToken, type InvitationByToken } from "./client-view";
import { answer, type Flow, failure, finish, gone, invalidState, view } from "./flow";
import { connectPage, fetchPages, openPages, sealPages } from "./messenger";
import { addNumber, NUMBER_QUIET_WINDOW_MS, type NumberReply, requestCode, verifyCode } from "./number";
import * as routes from "./onboarding.routes";
import { callbackRoute, redirectHandlers, redirectRoute } from "./redirect.handlers";
import { connectWhatsApp } from "./whatsapp";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** How long a call that lost a claim waits for the winner's outcome (Graph calls included). */
const DEFAULT_WAIT_MS = 30_000;

async function load(c: Context<AppEnv>, token: string): Promise<Flow> {
  const config = readConfig(c.env, c.req.url);
  const found = await findByToken(c.get("db"), config.tokenHashKey, token);
  if (!found) throw new ApiError("not_found", "No invitation for this link");
  if (isMetaMissing(c.env, found.invitation)) throw metaMissing();
  return flowOf(c, found);
}

/** The flow of a request on an invitation already found (by token, or by the callback's state). */
export function flowOf(c: Context<AppEnv>, found: InvitationByToken): Flow {
  const config = readConfig(c.env, c.req.url);
  return {
    db: c.get("db"),
    d1: c.get("database").raw,
    env: c.env,
    now: c.get("now")(),
    clock: c.get("now"),
    encryptionKeys: config.encryptionKeys,
    meta: c.get("meta"),
    requestId: c.get("requestId"),
    found,
  };
}

/** A deployed Worker without a Meta app: live invitations cannot connect (and are never simulated). */
export function metaMissing(): ApiError {
  return new ApiError(
    "invalid_state",
    "This service cannot connect accounts yet: its Meta app is not configured. Tell the sender of this link.",
    { details: { reason: "meta_not_configured" } },
  );
}

/** Refuses (401, nothing changed) a call that does not hold the current attempt's secret. */
export async function requireAttempt(c: Context<AppEnv>, flow: Flow) {
  const invitation = flow.found.invitation;
  const attempt = await findAttempt(flow.db, invitation.id, invitation.startedAt);
  if (!(await holdsAttempt(attempt, c.req.header(ATTEMPT_SECRET_HEADER)))) throw notYourAttempt();
  return attempt;
}

/** The effective status, after refusing a link that no longer works. */
export function openStatus(flow: Flow, row: InvitationRow, completedIsGone = true) {
  const status = effectiveStatus(row, flow.now);
  if (status === "cancelled" || status === "expired" || (status === "completed" && completedIsGone)) {
    throw gone(status);
  }
  return status;
}

function wrongChannel(expected: "whatsapp_waba" | "messenger"): ApiError {
  return new ApiError("invalid_request", `This step is for ${expected} invitations; see details.fields`, {
    details: {
      fields: {
        body:
          expected === "messenger"
            ? "This invitation connects WhatsApp: send { code, wabaId?, phoneNumberId?, businessId?, event? }"
            : "This invitation connects a Facebook Page: send { pageId } after pages",
      },
    },
  });
}

const start: Handler<typeof routes.startRoute> = async (c) => {
  const flow = await load(c, c.req.valid("param").token);
  const invitation = flow.found.invitation;
  const status = openStatus(flow, invitation);
  const running = status === "in_progress" ? invitation.startedAt : null;
  if (running !== null) {
    // The attempt is its browser's while it is young: another tab or holder of the link would
    // make the client's `complete` fail and waste Meta's single-use code.
    const attempt = await findAttempt(flow.db, invitation.id, running);
    // An attempt in a number step (the client waits for a code) is protected from its last call.
    const parked = attempt?.numberStep != null;
    const age = flow.now - (parked ? (attempt?.updatedAt ?? running) : running);
    const window = parked ? NUMBER_QUIET_WINDOW_MS : ATTEMPT_QUIET_WINDOW_MS;
    const mine = await holdsAttempt(attempt, c.req.header(ATTEMPT_SECRET_HEADER));
    if (!mine && attempt?.attemptSecretHash && age < window) {
      throw new ApiError(
        "invalid_state",
        parked
          ? "This link's connection is waiting for its number to be verified in another browser or tab; finish it there, or start again after Retry-After"
          : "Connecting was started from this link in another browser or tab less than 2 minutes ago; finish it there, or start again after Retry-After",
        {
          details: { status, reason: "attempt_running" },
          headers: { "Retry-After": String(Math.ceil((window - age) / 1000)) },
        },
      );
    }
  }
  const capped = await attemptCapError(flow.db, invitation.id, flow.now);
  if (capped) throw capped;
  // A running attempt (this browser's after a reload, or one left quiet) is given up first.
  if (running !== null) {
    await finish(
      flow,
      running,
      failure("signup_abandoned", "superseded", "A new start replaced this attempt"),
    );
  }
  const row = await transition(flow.db, { id: invitation.id }, { event: "start" }, flow.clock());
  if (row?.startedAt != null) {
    const { secret, hash } = await newAttemptSecret();
    await recordAttempt(flow.db, row.id, row.startedAt, hash, deviceClass(c.req.header("user-agent")));
    return c.json({ ...(await view(flow, row)), attemptSecret: secret }, 200);
  }
  const current = await readInvitation(flow.db, invitation.id);
  const now = openStatus(flow, current);
  throw invalidState(now, `The invitation is ${now}; only a pending or failed invitation can be started`);
};

const fail: Handler<typeof routes.failRoute> = async (c) => {
  const flow = await load(c, c.req.valid("param").token);
  const input = c.req.valid("json");
  const invitation = flow.found.invitation;
  const status = openStatus(flow, invitation);
  if (status !== "in_progress" || invitation.startedAt === null) {
    throw invalidState(status, `The invitation is ${status}; only an in_progress invitation can fail`);
  }
  await requireAttempt(c, flow);
  const startedAt = invitation.startedAt;
  // Only this attempt: a fail that arrives after a newer start does not end the newer one.
  const row = await transition(
    flow.db,
    { id: invitation.id, startedAt },
    { event: "fail", failureReason: input.reason },
    flow.now,
  );
  if (!row) {
    const status = openStatus(flow, await readInvitation(flow.db, invitation.id));
    throw invalidState(status, `The invitation is ${status}; only an in_progress invitation can fail`);
  }
  // What Meta's dialog said, kept for the operator (the client's view shows the reason only).
  await attemptUpdate(
    flow.db,
    row,
    startedAt,
    {
      outcome: "failed",
      failureStep: input.step ?? null,
      failureDetail: input.message ?? null,
      pagesCiphertext: null,
      failureReason: input.reason,
      // Where the client gave up: the step of a CANCEL without an error.
      abandonedStep: input.reason === "fb_cancelled" ? metaIdentifier(input.step) : null,
      metaErrorCode: metaIdentifier(input.errorCode),
      metaSessionId: metaIdentifier(input.sessionId),
      numberCiphertext: null,
    },
    flow.now,
  );
  return c.json(await view(flow, row), 200);
};

const pages: Handler<typeof routes.pagesRoute> = async (c) => {
  const flow = await load(c, c.req.valid("param").token);
  const { code } = c.req.valid("json");
  const invitation = flow.found.invitation;
  const status = openStatus(flow, invitation);
  if (invitation.connectionType !== "messenger") {
    throw new ApiError(
      "invalid_request",
      "pages is for Messenger invitations; WhatsApp sends the code to complete",
    );
  }
  const asAnswer = async (row: InvitationRow, sealed: string | null | undefined) => {
    const list = sealed && row.status === "in_progress" ? await openPages(flow, sealed) : [];
    return { pages: list.map(({ id, name }) => ({ id, name })), ...(await answer(flow, row)) };
  };
  if (status === "failed") {
    // A repeated `pages` after it failed this attempt answers that outcome.
    const attempt = await findAttempt(flow.db, invitation.id, invitation.startedAt);
    if (attempt?.exchangeClaimedAt != null) {
      await requireAttempt(c, flow);
      return c.json(await asAnswer(invitation, null), 200);
    }
  }
  if (status !== "in_progress" || invitation.startedAt === null) {
    throw invalidState(status, `The invitation is ${status}; call start first`);
  }
  const attempt = await requireAttempt(c, flow);
  const startedAt = invitation.startedAt;
  if (code === undefined) {
    // After Meta's OAuth dialog (full-page redirect) the callback exchanged the code: the list.
    if (!attempt?.pagesCiphertext) {
      throw new ApiError("invalid_request", "code is required; see details.fields", {
        details: { fields: { code: "Required, unless Meta's dialog sent the code to the callback" } },
      });
    }
    return c.json(await asAnswer(invitation, attempt.pagesCiphertext), 200);
  }
  if (await claim(flow.db, invitation, "exchangeClaimedAt", flow.now)) {
    const result = await fetchPages(flow, code);
    if (!result.ok) return c.json(await asAnswer(await finish(flow, startedAt, result.outcome), null), 200);
    const sealed = await sealPages(flow, result.pages);
    await attemptUpdate(flow.db, invitation, startedAt, { pagesCiphertext: sealed }, flow.now);
    return c.json(await asAnswer(await readInvitation(flow.db, invitation.id), sealed), 200);
  }
  const waited = await waitFor(
    flow.db,
    invitation,
    (row, attempt) => row.status !== "in_progress" || attempt?.pagesCiphertext != null,
    flow.meta.waitMs ?? DEFAULT_WAIT_MS,
  );
  return c.json(await asAnswer(waited.row, waited.attempt?.pagesCiphertext), 200);
};

const complete: Handler<typeof routes.completeRoute> = async (c) => {
  const flow = await load(c, c.req.valid("param").token);
  const input = c.req.valid("json");
  const invitation = flow.found.invitation;
  // A repeated complete after success answers the success (not 410).
  const status = openStatus(flow, invitation, false);
  if (status === "completed") {
    await requireAttempt(c, flow);
    return c.json(await view(flow, invitation), 200);
  }
  const isWhatsApp = "code" in input;
  if (isWhatsApp !== (invitation.connectionType === "whatsapp_waba")) {
    throw wrongChannel(isWhatsApp ? "messenger" : "whatsapp_waba");
  }
  const attempt = await findAttempt(flow.db, invitation.id, invitation.startedAt);
  // A repeated complete after this attempt failed answers that failure.
  if (status === "failed" && attempt?.completeClaimedAt != null) {
    await requireAttempt(c, flow);
    return c.json(await view(flow, invitation), 200);
  }
  if (status !== "in_progress" || invitation.startedAt === null) {
    throw invalidState(status, `The invitation is ${status}; call start first`);
  }
  await requireAttempt(c, flow);
  const startedAt = invitation.startedAt;
  const waitMs = flow.meta.waitMs ?? DEFAULT_WAIT_MS;

  let connect: () => ReturnType<typeof connectWhatsApp>;
  if ("code" in input) {
    connect = () => connectWhatsApp(flow, input);
  } else {
    let sealed = attempt?.pagesCiphertext;
    if (!sealed && attempt?.exchangeClaimedAt != null) {
      // `pages` is still running (a fast client): wait for its list.
      const waited = await waitFor(
        flow.db,
        invitation,
        (row, a) => row.status !== "in_progress" || a?.pagesCiphertext != null,
        waitMs,
      );
      if (waited.row.status !== "in_progress") return c.json(await answer(flow, waited.row), 200);
      sealed = waited.attempt?.pagesCiphertext;
    }
    if (!sealed) throw invalidState(status, "Call pages with Meta's code before complete");
    const page = (await openPages(flow, sealed)).find((p) => p.id === input.pageId);
    if (!page) {
      throw new ApiError(
        "invalid_request",
        "pageId is not one of the Pages pages answered; see details.fields",
        {
          details: { fields: { pageId: "Must be one of the ids pages answered" } },
        },
      );
    }
    connect = () => connectPage(flow, page);
  }

  if (await claim(flow.db, invitation, "completeClaimedAt", flow.now)) {
    return c.json(await answer(flow, await finish(flow, startedAt, await connect())), 200);
  }
  // A parked attempt (a number step) is an answer too: the page continues with it.
  const waited = await waitFor(
    flow.db,
    invitation,
    (row) => row.status !== "in_progress" || row.onboardingStep !== null,
    waitMs,
  );
  return c.json(await answer(flow, waited.row), 200);
};

/** The number step's calls: this attempt's (its secret), while it is in_progress. */
async function numberCall(
  c: Context<AppEnv>,
  token: string,
  run: (flow: Flow, attempt: Awaited<ReturnType<typeof requireAttempt>>) => Promise<NumberReply>,
): Promise<NumberReply> {
  const flow = await load(c, token);
  const invitation = flow.found.invitation;
  const status = openStatus(flow, invitation);
  if (status !== "in_progress" || invitation.startedAt === null) {
    throw invalidState(status, `The invitation is ${status}; the number step needs a running attempt`);
  }
  if (invitation.connectionType !== "whatsapp_waba") {
    throw new ApiError("invalid_request", "The number step is for WhatsApp invitations");
  }
  return run(flow, await requireAttempt(c, flow));
}

const addNumberHandler: Handler<typeof routes.addNumberRoute> = async (c) =>
  c.json(
    await numberCall(c, c.req.valid("param").token, (flow, attempt) =>
      addNumber(flow, attempt, c.req.valid("json")),
    ),
    200,
  );

const requestCodeHandler: Handler<typeof routes.requestCodeRoute> = async (c) => {
  const input = c.req.valid("json");
  return c.json(
    await numberCall(c, c.req.valid("param").token, (flow, attempt) =>
      requestCode(flow, attempt, { method: input.method, language: input.language ?? "en" }),
    ),
    200,
  );
};

const verifyCodeHandler: Handler<typeof routes.verifyCodeRoute> = async (c) =>
  c.json(
    await numberCall(c, c.req.valid("param").token, (flow, attempt) =>
      verifyCode(flow, attempt, c.req.valid("json")),
    ),
    200,
  );
const redirectFlow = redirectHandlers({ load, flowOf, openStatus, requireAttempt });

export const onboardingRouter = createRouter()
  .openapi(callbackRoute, redirectFlow.callback)
  .openapi(redirectRoute, redirectFlow.redirect)
  .openapi(routes.startRoute, start)
  .openapi(routes.pagesRoute, pages)
  .openapi(routes.completeRoute, complete)
  .openapi(routes.failRoute, fail)
  .openapi(routes.addNumberRoute, addNumberHandler)
  .openapi(routes.requestCodeRoute, requestCodeHandler)
  .openapi(routes.verifyCodeRoute, verifyCodeHandler);
