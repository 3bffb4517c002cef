/**
 * The full-page redirect to Meta's OAuth dialog, for browsers where Embedded Signup's popup
 * cannot work (in-app browsers, a blocked popup, a popup that returns no `authResponse`).
 *
 * - `POST /invite/{token}/redirect` (the attempt's secret required) turns the running attempt
 *   into a redirect launch and answers the dialog's URL: `{META_DIALOG_URL}/{version}/dialog/oauth`
 *   with the configuration, `response_type=code`, the one fixed `redirect_uri` and a `state`.
 * - `state` is a signed (HMAC-SHA-256 under a key derived from TOKEN_HASH_KEY), short-lived
 *   (STATE_TTL_MS), single-use reference to the attempt: the invitation id, the attempt's
 *   `startedAt`, an expiry and a random nonce. Never the invitation token: Meta sees the state,
 *   keeps it in its logs and sends it back in a URL. Only the nonce's SHA-256 is stored, on the
 *   attempt; the callback clears it in the same statement that checks it, so a state works once.
 *   The nonce also goes into a cookie scoped to the callback path, so a state and code copied
 *   into another browser change nothing (the standard OAuth binding of state to the browser).
 * - `GET /invite/callback` checks the state before anything else, then exchanges the code with the
 *   same `redirect_uri` and runs the same completion as the popup's `complete` (or `pages`), and
 *   sends the browser back to its invitation page with a short-lived signed `landed` mark, so a
 *   completed invitation shows the outcome there instead of "already used".
 */

import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { Db } from "../db/client";
import type { InvitationRow, PhoneNumberType } from "../db/schema";
import { onboardingAttempts } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { hmacSha256Hex, randomToken, sha256Hex, timingSafeEqual } from "../lib/crypto";
import { metaConfig } from "../meta/config";

/** The one redirect URI Meta's app must list (strict mode wants it exact: no token in it). */
export const CALLBACK_PATH = "/invite/callback";
/** How long a state is accepted: the client may take a while in Meta's dialog. */
export const STATE_TTL_MS = 30 * 60_000;
/** How long the invitation page honours a `landed` mark (the outcome after the callback). */
export const LANDED_TTL_MS = 10 * 60_000;
/** The cookie binding a state to the browser that asked for it. */
export const STATE_COOKIE = "invite_oauth";

const STATE_PATTERN =
  /^v1\.(inv_[a-z0-9]{1,40})\.([0-9a-z]{1,12})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([0-9a-f]{64})$/;

// Keys derived from TOKEN_HASH_KEY, one per use: a MAC of one kind is never valid as another.
const derived = new Map<string, Promise<string>>();
function keyFor(tokenHashKey: string, purpose: "state" | "landed"): Promise<string> {
  const id = `${purpose}:${tokenHashKey}`;
  let key = derived.get(id);
  if (!key) {
    key = hmacSha256Hex(tokenHashKey, `invite-oauth-${purpose}/v1`).then((hex) => `raw:${hex}`);
    derived.set(id, key);
  }
  return key;
}

/** The `redirect_uri` for requests to this origin: the dialog's and the exchange's, identical. */
export function redirectUriFor(requestUrl: string): string {
  return new URL(CALLBACK_PATH, requestUrl).href;
}

export interface MintedState {
  state: string;
  nonce: string;
  nonceHash: string;
}

/** A new state for the attempt (invitationId, startedAt), valid STATE_TTL_MS from `now`. */
export async function mintState(
  tokenHashKey: string,
  invitationId: string,
  startedAt: number,
  now: number,
): Promise<MintedState> {
  const nonce = randomToken(16);
  const payload = `v1.${invitationId}.${startedAt.toString(36)}.${(now + STATE_TTL_MS).toString(36)}.${nonce}`;
  const mac = await hmacSha256Hex(await keyFor(tokenHashKey, "state"), payload);
  return { state: `${payload}.${mac}`, nonce, nonceHash: await sha256Hex(nonce) };
}

export type StateCheck =
  | { ok: true; invitationId: string; startedAt: number; nonce: string }
  | { ok: false; problem: "invalid" | "expired" };

/** Checks a state's form and signature, then its expiry. Reads nothing, changes nothing. */
export async function readState(
  tokenHashKey: string,
  state: string | undefined,
  now: number,
): Promise<StateCheck> {
  const match = state && state.length <= 200 ? STATE_PATTERN.exec(state) : null;
  if (!match || !state) return { ok: false, problem: "invalid" };
  const [, invitationId = "", started = "", expires = "", nonce = "", mac = ""] = match;
  const payload = state.slice(0, state.length - mac.length - 1);
  const expected = await hmacSha256Hex(await keyFor(tokenHashKey, "state"), payload);
  if (!timingSafeEqual(expected, mac)) return { ok: false, problem: "invalid" };
  if (Number.parseInt(expires, 36) <= now) return { ok: false, problem: "expired" };
  return { ok: true, invitationId, startedAt: Number.parseInt(started, 36), nonce };
}

/** `Set-Cookie` for the state's nonce: the callback path only, not readable by scripts. */
export function stateCookie(requestUrl: string, nonce: string | null): string {
  const secure = new URL(requestUrl).protocol === "https:" ? "; Secure" : "";
  const value = nonce ?? "";
  const age = nonce === null ? 0 : Math.floor(STATE_TTL_MS / 1000);
  return `${STATE_COOKIE}=${value}; Path=${CALLBACK_PATH}; Max-Age=${age}; HttpOnly; SameSite=Lax${secure}`;
}

/** The nonce of the state cookie the browser sent, if any. */
export function cookieNonce(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("Cookie") ?? "";
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === STATE_COOKIE) return rest.join("=");
  }
  return undefined;
}

/**
 * Uses the state: clears the attempt's stored nonce hash if it is this state's, in one statement
 * (so of two callbacks with the same state, one wins). False: used before, or never this attempt's.
 */
export async function consumeState(
  db: Db,
  invitationId: string,
  startedAt: number,
  nonce: string,
): Promise<boolean> {
  const rows = await db
    .update(onboardingAttempts)
    .set({ redirectStateHash: null })
    .where(
      and(
        eq(onboardingAttempts.invitationId, invitationId),
        eq(onboardingAttempts.startedAt, startedAt),
        eq(onboardingAttempts.redirectStateHash, await sha256Hex(nonce)),
      ),
    )
    .returning({ invitationId: onboardingAttempts.invitationId });
  return rows.length === 1;
}

/** The `landed` mark of the invitation page after the callback: `<expiry>.<mac>`. */
export async function landedMark(
  tokenHashKey: string,
  invitation: InvitationRow,
  now: number,
): Promise<string> {
  const expires = (now + LANDED_TTL_MS).toString(36);
  const mac = await hmacSha256Hex(
    await keyFor(tokenHashKey, "landed"),
    `${invitation.id}.${invitation.startedAt ?? ""}.${expires}`,
  );
  return `${expires}.${mac}`;
}

/** Whether `mark` is a live `landed` mark for the invitation's current attempt. */
export async function isLanded(
  tokenHashKey: string,
  invitation: InvitationRow,
  mark: string | undefined,
  now: number,
): Promise<boolean> {
  const match = mark ? /^([0-9a-z]{1,12})\.([0-9a-f]{64})$/.exec(mark) : null;
  if (!match || invitation.startedAt === null) return false;
  const [, expires = "", mac = ""] = match;
  if (Number.parseInt(expires, 36) <= now) return false;
  const expected = await hmacSha256Hex(
    await keyFor(tokenHashKey, "landed"),
    `${invitation.id}.${invitation.startedAt}.${expires}`,
  );
  return timingSafeEqual(expected, mac);
}

/**
 * The Embedded Signup feature type for a phone-number type: coexistence for a number on the
 * WhatsApp Business app, none (Meta's standard flow) otherwise.
 */
export function featureTypeFor(type: PhoneNumberType | null | undefined): string | undefined {
  return type === "business_app" ? "whatsapp_business_app_onboarding" : undefined;
}

/**
 * Meta's OAuth dialog for the attempt: Facebook Login for Business with the connection's
 * configuration. WhatsApp (a system-user token configuration) also sends
 * `override_default_response_type=true` and Embedded Signup's `extras` as JSON, as the popup's
 * `FB.login` does; a Page connect (user-token configuration) sends the configuration only.
 */
export function dialogUrl(
  env: Env,
  input: {
    messenger: boolean;
    redirectUri: string;
    state: string;
    extras?: Record<string, unknown>;
  },
): string {
  const meta = metaConfig(env);
  const url = new URL(`${meta.dialogUrl}/${meta.graphVersion}/dialog/oauth`);
  url.searchParams.set("client_id", meta.appId);
  url.searchParams.set("config_id", input.messenger ? meta.messengerConfigId : meta.configId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", input.redirectUri);
  url.searchParams.set("state", input.state);
  if (!input.messenger) {
    url.searchParams.set("override_default_response_type", "true");
    if (input.extras) url.searchParams.set("extras", JSON.stringify(input.extras));
  }
  return url.href;
}
