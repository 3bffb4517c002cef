import { createRoute, type RouteConfig, type RouteHandler, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { onboardingAttempts } from "../db/schema";
import { effectiveStatus, type FailureReason } from "../invitations/lifecycle";
import { newNonce, pageHeaders } from "../invite/headers";
import { chooseLanguage } from "../invite/language";
import { callbackProblemPage, signupExtras } from "../invite/view";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { decryptSecret, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { ErrorSchema, jsonBody, jsonResponse } from "../lib/openapi";
import { isTestMode } from "../meta/config";
import { attemptUpdate, claim, waitFor } from "./attempts";
import { findById } from "./client-view";
import { failure, finish, invalidState, view } from "./flow";
import { connectPage, fetchPages, sealPages } from "./messenger";
import type {
  flowOf as FlowOf,
  openStatus as OpenStatus,
  requireAttempt as RequireAttempt,
} from "./onboarding.index";
import { AttemptSecretHeaders, InviteInvitationSchema, InviteTokenParam } from "./onboarding.schemas";
import {
  CALLBACK_PATH,
  consumeState,
  cookieNonce,
  dialogUrl,
  featureTypeFor,
  landedMark,
  mintState,
  readState,
  redirectUriFor,
  stateCookie,
} from "./redirect";
import { connectWhatsApp } from "./whatsapp";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** What the handlers borrow from the flow endpoints (passed in: no import cycle at load time). */
export interface FlowTools {
  load: (c: Parameters<typeof FlowOf>[0], token: string) => Promise<ReturnType<typeof FlowOf>>;
  flowOf: typeof FlowOf;
  openStatus: typeof OpenStatus;
  requireAttempt: typeof RequireAttempt;
}

export const RedirectRequestSchema = z
  .object({
    phoneNumberType: z
      .enum(["cloud_api", "business_app"], { error: "Must be cloud_api or business_app" })
      .optional()
      .openapi({
        description:
          "WhatsApp, when the invitation's `phoneNumberType` is `any`: the client's choice (`business_app` launches Meta's coexistence flow). Otherwise it must be the invitation's own, or omitted.",
      }),
  })
  .strict()
  .openapi("InviteRedirectRequest");

export const RedirectResponseSchema = z
  .object({
    invitation: InviteInvitationSchema,
    dialogUrl: z.string().openapi({
      description:
        "Meta's OAuth dialog for this attempt (`{META_DIALOG_URL}/{version}/dialog/oauth?client_id&config_id&response_type=code&redirect_uri&state`, and for WhatsApp `override_default_response_type=true&extras`): the page navigates there.",
    }),
  })
  .openapi("InviteRedirect");

export const redirectRoute = createRoute({
  method: "post",
  path: "/invite/{token}/redirect",
  operationId: "redirectInvite",
  summary: "Continue in Meta's dialog, full page",
  description:
    "For browsers where Meta's popup cannot work (in-app browsers, a blocked popup, a popup that returned no `authResponse`): the running attempt (its `X-Attempt-Secret` required) becomes a full-page redirect, and the answer's `dialogUrl` is Meta's OAuth dialog with a signed, single-use `state` (valid 30 minutes; a new call replaces it). The answer also sets an `HttpOnly` cookie scoped to `/invite/callback` that binds the state to this browser. Meta then sends the browser to `GET /invite/callback`. Not in test mode (400 `invalid_state`, `details.reason` `test_mode`).",
  tags: ["Invite link (client)"],
  security: [],
  request: {
    params: InviteTokenParam,
    headers: AttemptSecretHeaders,
    body: { ...jsonBody(RedirectRequestSchema), required: false },
  },
  responses: {
    200: jsonResponse(RedirectResponseSchema, "The invitation, `in_progress`, and the dialog's URL."),
    400: { description: "Invalid body or state.", content: { "application/json": { schema: ErrorSchema } } },
    401: {
      description: "No `X-Attempt-Secret`, or not the current attempt's.",
      content: { "application/json": { schema: ErrorSchema } },
    },
    404: {
      description: "No invitation for this token.",
      content: { "application/json": { schema: ErrorSchema } },
    },
    410: {
      description: "Cancelled, expired or completed.",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});

export const callbackRoute = createRoute({
  method: "get",
  path: CALLBACK_PATH,
  operationId: "inviteCallback",
  // A browser's landing page (HTML or a redirect), not an API: documented in docs/onboarding.md.
  hide: true,
  summary: "Meta's OAuth dialog returns here",
  description:
    "The one `redirect_uri` of the full-page redirect (list it exactly in the Meta app's Valid OAuth Redirect URIs). The `state` is checked first (signature, expiry, this browser's cookie, single use, the attempt still current); a forged, expired, replayed or foreign one changes nothing and answers a page saying so (400). Then the code is exchanged with the same `redirect_uri` and the account connected as by `complete`, and the browser is sent (303) to its invitation page, which shows the outcome.",
  tags: ["Invite link (client)"],
  security: [],
  request: {
    query: z.object({
      state: z.string().optional(),
      code: z.string().optional(),
      error: z.string().optional(),
      error_reason: z.string().optional(),
      error_description: z.string().optional(),
    }),
  },
  responses: {
    303: { description: "To the invitation page (`Location`), which shows the outcome." },
    400: {
      description: "The state was refused: a page in the client's language; nothing changed.",
      content: { "text/html": { schema: z.string() } },
    },
  },
});

export function redirectHandlers(tools: FlowTools) {
  const redirect: Handler<typeof redirectRoute> = async (c) => {
    const flow = await tools.load(c, c.req.valid("param").token);
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof RedirectRequestSchema>;
    const invitation = flow.found.invitation;
    const status = tools.openStatus(flow, invitation);
    if (isTestMode(c.env, invitation)) {
      throw new ApiError(
        "invalid_state",
        "Test mode has no Meta dialog to redirect to: use the page's test panel",
        { details: { status, reason: "test_mode" } },
      );
    }
    if (status !== "in_progress" || invitation.startedAt === null) {
      throw invalidState(status, `The invitation is ${status}; call start first`);
    }
    const attempt = await tools.requireAttempt(c, flow);
    if (attempt?.exchangeClaimedAt != null || attempt?.completeClaimedAt != null) {
      throw invalidState(status, "This attempt is already connecting; wait for its outcome or start again");
    }
    const messenger = invitation.connectionType === "messenger";
    const fixed = invitation.phoneNumberType;
    if (
      body.phoneNumberType !== undefined &&
      (messenger || (fixed !== "any" && fixed !== body.phoneNumberType))
    ) {
      throw new ApiError(
        "invalid_request",
        "phoneNumberType is not one this invitation allows; see details.fields",
        {
          details: {
            fields: {
              phoneNumberType: messenger
                ? "Only valid for WhatsApp invitations"
                : `This invitation's phoneNumberType is ${fixed ?? "not set"}`,
            },
          },
        },
      );
    }
    const config = readConfig(c.env, c.req.url);
    const startedAt = invitation.startedAt;
    const minted = await mintState(config.tokenHashKey, invitation.id, startedAt, flow.now);
    // A new state replaces the attempt's previous one (only the latest dialog URL works).
    await flow.db
      .update(onboardingAttempts)
      .set({ launch: "redirect", redirectStateHash: minted.nonceHash, updatedAt: flow.now })
      .where(
        and(eq(onboardingAttempts.invitationId, invitation.id), eq(onboardingAttempts.startedAt, startedAt)),
      );
    const current = await view(flow, invitation);
    const featureType = featureTypeFor(body.phoneNumberType ?? (fixed === "any" ? null : fixed));
    const url = dialogUrl(c.env, {
      messenger,
      redirectUri: redirectUriFor(c.req.url),
      state: minted.state,
      extras: messenger
        ? undefined
        : signupExtras(
            current.invitation,
            // The same prefill as the popup's (a live page: test mode never gets here).
            { email: invitation.clientEmail, phone: invitation.clientPhone },
            featureType ?? "",
          ),
    });
    return c.json({ ...current, dialogUrl: url }, 200, {
      "Set-Cookie": stateCookie(c.req.url, minted.nonce),
    });
  };

  const callback: Handler<typeof callbackRoute> = async (c) => {
    const config = readConfig(c.env, c.req.url);
    const now = c.get("now")();
    const nonce = newNonce();
    const query = c.req.valid("query");
    let language = chooseLanguage(c.req.header("Accept-Language"));
    const refuse = (problem: Parameters<typeof callbackProblemPage>[2]) => {
      logEvent("warn", "oauth_callback_refused", { requestId: c.get("requestId"), problem });
      return c.html(callbackProblemPage(language, nonce, problem), 400, {
        ...pageHeaders("static", nonce),
        "Content-Language": language,
        "Set-Cookie": stateCookie(c.req.url, null),
      });
    };
    // The state first: nothing is read or written for a state this service did not sign.
    const checked = await readState(config.tokenHashKey, query.state, now);
    if (!checked.ok) return refuse(checked.problem);
    const bound = cookieNonce(c);
    if (!bound || !timingSafeEqual(bound, checked.nonce)) return refuse("otherBrowser");
    const found = await findById(c.get("db"), checked.invitationId);
    if (!found) return refuse("invalid");
    const invitation = found.invitation;
    language = invitation.language ?? language;
    if (!(await consumeState(c.get("db"), invitation.id, checked.startedAt, checked.nonce)))
      return refuse("used");
    if (invitation.startedAt !== checked.startedAt || effectiveStatus(invitation, now) !== "in_progress") {
      return refuse("stale");
    }
    const flow = tools.flowOf(c, found);
    const startedAt = checked.startedAt;
    const redirectUri = redirectUriFor(c.req.url);
    const waitMs = flow.meta.waitMs ?? 30_000;
    const code = query.code && query.code.length <= 4096 ? query.code : undefined;

    if (!code) {
      // Meta's dialog sends `error` (access_denied / user_denied when the client declines).
      const declined = query.error === "access_denied";
      const reason: FailureReason = declined
        ? "fb_not_authorized"
        : query.error
          ? "internal_error"
          : "signup_abandoned";
      const detail = [query.error, query.error_reason, query.error_description]
        .filter(Boolean)
        .join(": ")
        .slice(0, 500);
      if (await claim(flow.db, invitation, "completeClaimedAt", flow.now)) {
        await finish(
          flow,
          startedAt,
          failure(reason, "oauth_dialog", detail || "No code from Meta's dialog"),
        );
      }
    } else if (invitation.connectionType === "whatsapp_waba") {
      if (await claim(flow.db, invitation, "completeClaimedAt", flow.now)) {
        await finish(flow, startedAt, await connectWhatsApp(flow, { code, redirectUri }));
      } else {
        await waitFor(flow.db, invitation, (row) => row.status !== "in_progress", waitMs);
      }
    } else if (await claim(flow.db, invitation, "exchangeClaimedAt", flow.now)) {
      const result = await fetchPages(flow, code, redirectUri);
      const [only, ...others] = result.ok ? result.pages : [];
      if (!result.ok) {
        await finish(flow, startedAt, result.outcome);
      } else if (
        only &&
        others.length === 0 &&
        (await claim(flow.db, invitation, "completeClaimedAt", flow.now))
      ) {
        await finish(flow, startedAt, await connectPage(flow, only));
      } else {
        // Several Pages: the invitation page offers them (`pages` without a code answers this list).
        await attemptUpdate(
          flow.db,
          invitation,
          startedAt,
          { pagesCiphertext: await sealPages(flow, result.pages) },
          flow.now,
        );
      }
    }
    // Back to the client's own link (this browser had it: the state's cookie says so).
    const token = await decryptSecret(
      config.encryptionKeys,
      invitation.tokenCiphertext,
      "invitations.token_ciphertext",
    );
    const mark = await landedMark(config.tokenHashKey, invitation, flow.clock());
    const location = new URL(`/invite/${token}`, c.req.url);
    location.searchParams.set("landed", mark);
    return c.body(null, 303, {
      Location: location.href,
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "Set-Cookie": stateCookie(c.req.url, null),
    });
  };

  return { redirect, callback };
}
