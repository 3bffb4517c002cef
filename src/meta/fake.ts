/**
 * A fake of Meta's Graph API for test mode and tests: the same requests and answers as the calls
 * in src/meta/graph.ts make and expect (META.md), including Meta's error shape. It checks what
 * Meta checks: the app id and secret on a code exchange, single-use codes that expire after 30 s,
 * the app token on `debug_token`, the business token on WABA calls, the Page token on Page calls,
 * the register limit (10 per number in 72 h, then 133016), and two-step verification: a number
 * registered once has its PIN, and a register with another PIN is 133005 (PIN mismatch). A
 * registered number reads as `platform_type` CLOUD_API and `status` CONNECTED.
 *
 * It is a plain `(request) => Promise<Response>` handler: the Worker calls it in-process for
 * test-mode invitations, and a test can serve it over HTTP (META_GRAPH_URL) for the real-Meta
 * page. State lives in the instance (per isolate for the Worker's own).
 *
 * Codes: `fake.<scenario>.<nonce>` (nonce: 1-64 of [A-Za-z0-9_-]) is a code issued the first
 * time it is seen; `issueCode()` issues one explicitly. Scenarios pick the error paths:
 *   ok, coexistence, several_wabas (two WABAs granted), several_pages, no_pages, no_phone_number, number_<E.164 digits>,
 *   used_code (36009), expired_code (36007), no_waba_permission (no WABA in debug_token),
 *   token_invalid (190 on the phone number read), rate_limited (80008 on the phone numbers),
 *   register_limit (133016), register_error (133005), unavailable (code 2, HTTP 500, on the
 *   exchange), timeout (the exchange never answers), unverified (the number's
 *   code_verification_status is NOT_VERIFIED until verify_code), no_funding (the WABA answers
 *   no `primary_funding_id`: no payment method for paid messages).
 *
 * Numbers the way Embedded Signup v4 may leave them: `POST /<waba>/phone_numbers` adds one (cc,
 * phone_number, verified_name; NOT_VERIFIED), `POST /<number>/request_code` (code_method SMS or
 * VOICE, language) "sends" the code 123456 (at most 3 requests per number per hour, then 136024),
 * `POST /<number>/verify_code` accepts 123456 after a request and answers 136025 to anything else,
 * and `register` refuses a number not verified (133006). Added numbers and verifications belong
 * to the token's grant, so each test-mode attempt starts afresh.
 *
 * The OAuth dialog (`GET /<version>/dialog/oauth`, the full-page redirect): it checks the app id,
 * `response_type=code`, a `config_id` and an absolute `redirect_uri`, then redirects (302) to that
 * `redirect_uri` with a new code and the `state` it was given, as Meta does once the client has
 * finished. Such a code is exchanged only with the same `redirect_uri` (else 100/36008); a
 * popup's code only without one.
 */

export const FAKE_APP_ID = "1000000000000001";
export const FAKE_APP_SECRET = "fake-app-secret-for-test-mode";
export const FAKE_BUSINESS_ID = "100000000000021";
/** The WABA's `primary_funding_id` (its payment method), absent in the `no_funding` scenario. */
export const FAKE_FUNDING_ID = "100000000000031";
export const FAKE_WABA_ID = "100000000000001";
/** The second WABA the `several_wabas` scenario grants. */
export const FAKE_WABA_ID_2 = "100000000000002";
export const FAKE_PHONE_NUMBER_ID = "100000000000011";
export const FAKE_DISPLAY_PHONE_NUMBER = "+1 415-555-0100";
export const FAKE_VERIFIED_NAME = "Test Business";
export const FAKE_PAGE = { id: "200000000000001", name: "Test Page" } as const;
export const FAKE_PAGES = [
  FAKE_PAGE,
  { id: "200000000000002", name: "Test Page 2" },
  { id: "200000000000003", name: "Test Page 3" },
] as const;

export const FAKE_CODE_PATTERN = /^fake\.([a-z0-9_]{1,40})\.([A-Za-z0-9_-]{1,64})$/;
const CODE_TTL_MS = 30_000;
const REGISTER_WINDOW_MS = 72 * 3_600_000;
const REGISTER_LIMIT = 10;
/** The code the fake "sends" by SMS or voice: the only one verify_code accepts. */
export const FAKE_VERIFICATION_CODE = "123456";
const CODE_REQUEST_LIMIT = 3;
const CODE_REQUEST_WINDOW_MS = 3_600_000;

export interface FakeMetaOptions {
  appId?: string;
  appSecret?: string;
  now?: () => number;
  /** How long a `timeout` scenario stalls when the caller never aborts. */
  stallMs?: number;
}

interface Grant {
  scenario: string;
  /** The code the token was exchanged for. */
  code: string;
  /** Numbers added to the WABA with this token (`POST /<waba>/phone_numbers`). */
  added?: FakeNumber[];
  /** Numbers verified with this token (`verify_code`). */
  verified?: Set<string>;
}

interface FakeNumber {
  id: string;
  display: string;
  verifiedName: string;
  isOnBizApp: boolean;
  /** Added through the API and not verified yet. */
  added?: boolean;
}

function fbtrace(): string {
  return `Fake${Math.random().toString(36).slice(2, 12)}`;
}

function graphError(
  status: number,
  code: number,
  message: string,
  extra: { subcode?: number; type?: string; whatsapp?: boolean } = {},
): Response {
  return Response.json(
    {
      error: {
        message,
        type: extra.type ?? "OAuthException",
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        ...(extra.whatsapp ? { error_data: { messaging_product: "whatsapp", details: message } } : {}),
        fbtrace_id: fbtrace(),
      },
    },
    { status },
  );
}

const invalidToken = () =>
  graphError(401, 190, "Invalid OAuth access token - Cannot parse access token", { type: "OAuthException" });

function wabasFor(scenario: string): string[] {
  if (scenario === "no_waba_permission") return [];
  return scenario === "several_wabas" ? [FAKE_WABA_ID, FAKE_WABA_ID_2] : [FAKE_WABA_ID];
}

function numberFor(scenario: string): FakeNumber {
  const custom = /^number_([1-9]\d{6,14})$/.exec(scenario);
  if (custom?.[1]) {
    const digits = custom[1];
    return {
      id: `3${digits.padStart(14, "0")}`,
      // Meta's display form: spaces and dashes, for people (`+1 415-555-0142`, `+34 612345678`).
      display: digits.startsWith("1")
        ? `+1 ${digits.slice(1, 4)}-${digits.slice(4, 7)}-${digits.slice(7)}`
        : `+${digits.slice(0, 2)} ${digits.slice(2)}`,
      verifiedName: "Test Business",
      isOnBizApp: false,
    };
  }
  return {
    id: FAKE_PHONE_NUMBER_ID,
    display: FAKE_DISPLAY_PHONE_NUMBER,
    verifiedName: FAKE_VERIFIED_NAME,
    isOnBizApp: scenario === "coexistence",
  };
}

export function createFakeMeta(options: FakeMetaOptions = {}) {
  const appId = options.appId ?? FAKE_APP_ID;
  const appSecret = options.appSecret ?? FAKE_APP_SECRET;
  const now = options.now ?? Date.now;
  const codes = new Map<
    string,
    { scenario: string; issuedAt: number; used: boolean; redirectUri?: string }
  >();
  /** The OAuth dialog's requests (their query), for tests. */
  const dialogs: URLSearchParams[] = [];
  let dialogScenario = "ok";
  const tokens = new Map<string, Grant>();
  const pageTokens = new Map<string, string>();
  const registers = new Map<string, number[]>();
  const registered = new Map<string, string>();
  const registerPins = new Map<string, string[]>();
  /** Numbers taken off the Cloud API (they keep their two-step PIN, as Meta's do). */
  const deregistered = new Set<string>();
  const subscribedWabas = new Set<string>();
  /** The last code "sent" per number: how and in which language. */
  const sentCodes = new Map<string, { method: unknown; language: unknown }>();
  const subscribedPages = new Map<string, string[]>();
  /** Every request, for tests: `${method} ${path}` without the version or the query. */
  const calls: string[] = [];
  let counter = 0;

  function mint(prefix: string): string {
    counter += 1;
    return `${prefix}${counter}x${Math.random().toString(36).slice(2, 14)}`;
  }

  function bearer(request: Request, url: URL): string | null {
    const header = request.headers.get("Authorization");
    const match = header ? /^Bearer (.+)$/i.exec(header) : null;
    return match?.[1] ?? url.searchParams.get("access_token");
  }

  function exchange(url: URL): Response {
    if (url.searchParams.get("client_id") !== appId) {
      return graphError(400, 101, "Error validating application. Invalid application ID.");
    }
    if (url.searchParams.get("client_secret") !== appSecret) {
      return graphError(400, 1, "Error validating client secret.", { subcode: 463 });
    }
    if (url.searchParams.get("grant_type") === "fb_exchange_token") {
      const grant = tokens.get(url.searchParams.get("fb_exchange_token") ?? "");
      if (!grant) return invalidToken();
      const token = mint("EAAFakeLongLived");
      tokens.set(token, grant);
      return Response.json({ access_token: token, token_type: "bearer", expires_in: 5_183_944 });
    }
    const code = url.searchParams.get("code") ?? "";
    let entry = codes.get(code);
    const match = FAKE_CODE_PATTERN.exec(code);
    if (!entry && match?.[1]) {
      entry = { scenario: match[1], issuedAt: now(), used: false };
      codes.set(code, entry);
    }
    if (!entry) return graphError(400, 100, "Invalid verification code format.");
    // The dialog's redirect_uri, exactly, or none for a popup's code.
    if ((entry.redirectUri ?? null) !== url.searchParams.get("redirect_uri")) {
      return graphError(
        400,
        100,
        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        { subcode: 36008 },
      );
    }
    if (entry.used || entry.scenario === "used_code") {
      entry.used = true;
      return graphError(400, 100, "This authorization code has been used.", { subcode: 36009 });
    }
    if (entry.scenario === "expired_code" || now() - entry.issuedAt > CODE_TTL_MS) {
      return graphError(400, 100, "This authorization code has expired.", { subcode: 36007 });
    }
    entry.used = true;
    if (entry.scenario === "unavailable") {
      return graphError(500, 2, "An unexpected error has occurred. Please retry your request later.", {
        type: "OAuthException",
      });
    }
    const token = mint("EAAFake");
    tokens.set(token, { scenario: entry.scenario, code });
    return Response.json({ access_token: token, token_type: "bearer" });
  }

  function debugToken(request: Request, url: URL): Response {
    if (bearer(request, url) !== `${appId}|${appSecret}`) {
      return graphError(400, 190, "Invalid OAuth access token signature.");
    }
    const input = url.searchParams.get("input_token") ?? "";
    const grant = tokens.get(input);
    if (!grant) {
      return Response.json({
        data: { is_valid: false, error: { code: 190, message: "Invalid OAuth access token." } },
      });
    }
    const whatsapp = wabasFor(grant.scenario);
    return Response.json({
      data: {
        app_id: appId,
        type: "SYSTEM_USER",
        application: "Fake app",
        is_valid: true,
        scopes: ["whatsapp_business_management", "whatsapp_business_messaging", "business_management"],
        granular_scopes: [
          ...(whatsapp.length ? [{ scope: "whatsapp_business_management", target_ids: whatsapp }] : []),
          { scope: "whatsapp_business_messaging", target_ids: whatsapp },
          { scope: "business_management", target_ids: [FAKE_BUSINESS_ID] },
        ],
      },
    });
  }

  /** The grant behind a WABA-scoped call, or the error Meta would answer. */
  function businessGrant(request: Request, url: URL): Grant | Response {
    const grant = tokens.get(bearer(request, url) ?? "");
    if (!grant) return invalidToken();
    if (grant.scenario === "token_invalid") {
      return graphError(401, 190, "Error validating access token: The session has been invalidated.", {
        subcode: 460,
      });
    }
    return grant;
  }

  /** Code requests per number (their times), for Meta's limit on requests. */
  const codeRequests = new Map<string, number[]>();

  async function body(request: Request, url: URL): Promise<Record<string, unknown>> {
    // Meta takes the parameters as JSON or in the query string.
    const json = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    for (const [key, value] of url.searchParams) if (json[key] === undefined) json[key] = value;
    return json;
  }

  async function addNumber(request: Request, grant: Grant, _wabaId: string): Promise<Response> {
    const input = await body(request, new URL(request.url));
    const cc = String(input.cc ?? "");
    const phone = String(input.phone_number ?? "");
    const name = String(input.verified_name ?? "").trim();
    if (!/^[1-9]\d{0,2}$/.test(cc) || !/^\d{4,14}$/.test(phone) || `${cc}${phone}`.length > 15) {
      return graphError(400, 100, "(#100) Param phone_number is not a valid phone number", {
        whatsapp: true,
      });
    }
    if (name.length < 3 || name.length > 512) {
      return graphError(400, 100, "(#100) Param verified_name is invalid", { whatsapp: true });
    }
    const digits = `${cc}${phone}`;
    const existing = [numberFor(grant.scenario), ...(grant.added ?? [])];
    if (existing.some((n) => n.display.replace(/\D/g, "") === digits)) {
      return graphError(400, 100, "(#100) The phone number is already in use in WhatsApp", {
        whatsapp: true,
      });
    }
    const added: FakeNumber = {
      id: `4${digits.padStart(14, "0")}`,
      display: `+${cc} ${phone}`,
      verifiedName: name,
      isOnBizApp: false,
      added: true,
    };
    grant.added = [...(grant.added ?? []), added];
    return Response.json({ id: added.id });
  }

  async function requestCode(request: Request, url: URL, grant: Grant, numberId: string): Promise<Response> {
    const input = await body(request, url);
    if (input.code_method !== "SMS" && input.code_method !== "VOICE") {
      return graphError(400, 100, "(#100) Param code_method must be one of {SMS, VOICE}", { whatsapp: true });
    }
    if (typeof input.language !== "string" || !/^[a-z]{2}(_[A-Z]{2})?$/.test(input.language)) {
      return graphError(400, 100, "(#100) Param language is invalid", { whatsapp: true });
    }
    // Per number, and per grant so that each test-mode attempt starts afresh.
    const key = `${grant.code}:${numberId}`;
    const recent = (codeRequests.get(key) ?? []).filter((t) => now() - t < CODE_REQUEST_WINDOW_MS);
    if (recent.length >= CODE_REQUEST_LIMIT) {
      return graphError(400, 136024, "Request code error", { whatsapp: true });
    }
    recent.push(now());
    codeRequests.set(key, recent);
    sentCodes.set(numberId, { method: input.code_method, language: input.language });
    return Response.json({ success: true });
  }

  async function verifyCode(request: Request, url: URL, grant: Grant, numberId: string): Promise<Response> {
    const input = await body(request, url);
    if (typeof input.code !== "string" || !/^\d{6}$/.test(input.code)) {
      return graphError(400, 100, "(#100) Param code must be a 6-digit code", { whatsapp: true });
    }
    if (!codeRequests.has(`${grant.code}:${numberId}`) || input.code !== FAKE_VERIFICATION_CODE) {
      return graphError(400, 136025, "Verify code error", { whatsapp: true });
    }
    grant.verified = new Set([...(grant.verified ?? []), numberId]);
    return Response.json({ success: true });
  }

  /** Meta's OAuth dialog, the client finishing at once: back to redirect_uri with a code and the state. */
  function dialog(url: URL): Response {
    const params = url.searchParams;
    dialogs.push(new URLSearchParams(params));
    const problem = (text: string) =>
      new Response(`Fake Meta dialog: ${text}`, { status: 400, headers: { "Content-Type": "text/plain" } });
    if (params.get("client_id") !== appId) return problem("invalid app id");
    if (params.get("response_type") !== "code") return problem("response_type must be code");
    if (!params.get("config_id")) return problem("config_id missing");
    let target: URL;
    try {
      target = new URL(params.get("redirect_uri") ?? "");
    } catch {
      return problem("redirect_uri must be an absolute URL");
    }
    if (target.protocol !== "https:" && target.protocol !== "http:") return problem("redirect_uri scheme");
    const code = `fake.${dialogScenario}.${mint("d")}`;
    codes.set(code, { scenario: dialogScenario, issuedAt: now(), used: false, redirectUri: target.href });
    target.searchParams.set("code", code);
    const state = params.get("state");
    if (state !== null) target.searchParams.set("state", state);
    return new Response(null, { status: 302, headers: { Location: target.href } });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/v\d+\.\d+/, "");
    const method = request.method.toUpperCase();
    calls.push(`${method} ${path}`);

    if (method === "GET" && path === "/oauth/access_token") {
      const match = FAKE_CODE_PATTERN.exec(url.searchParams.get("code") ?? "");
      const scenario = codes.get(url.searchParams.get("code") ?? "")?.scenario ?? match?.[1];
      if (scenario === "timeout") await stall(request.signal, options.stallMs ?? 60_000);
      return exchange(url);
    }
    if (method === "GET" && path === "/debug_token") return debugToken(request, url);
    if (method === "GET" && path === "/dialog/oauth") return dialog(url);
    if (method === "GET" && path === "/me/accounts") {
      const grant = tokens.get(bearer(request, url) ?? "");
      if (!grant) return invalidToken();
      const pages =
        grant.scenario === "no_pages" ? [] : grant.scenario === "several_pages" ? FAKE_PAGES : [FAKE_PAGE];
      return Response.json({
        data: pages.map((page) => {
          const token = mint(`EAAFakePage${page.id}`);
          pageTokens.set(token, page.id);
          return { ...page, access_token: token, category: "Business", tasks: ["MESSAGING", "MANAGE"] };
        }),
        paging: { cursors: { before: "b", after: "a" } },
      });
    }

    const segments = path.split("/").filter(Boolean);
    const [id, edge] = segments;
    if (!id || segments.length > 2)
      return graphError(400, 2500, "Unknown path components", { type: "OAuthException" });
    const senderCall = await handleSenderCall(request, url, method, id, edge);
    if (senderCall) return senderCall;

    if (edge === "subscribed_apps" && method === "POST" && pageTokens.has(bearer(request, url) ?? "")) {
      if (pageTokens.get(bearer(request, url) ?? "") !== id) {
        return graphError(403, 210, "(#210) A page access token is required to request this resource.");
      }
      subscribedPages.set(id, (url.searchParams.get("subscribed_fields") ?? "").split(","));
      return Response.json({ success: true });
    }

    const grant = businessGrant(request, url);
    if (grant instanceof Response) return grant;
    const number = numberFor(grant.scenario);
    const wabas = wabasFor(grant.scenario);
    const numberState = (id: string) =>
      registered.has(id) && !deregistered.has(id)
        ? { platform_type: "CLOUD_API", status: "CONNECTED" }
        : { platform_type: "NOT_APPLICABLE", status: "PENDING" };

    const verification = (n: FakeNumber) =>
      n.added || (grant.scenario === "unverified" && !grant.verified?.has(n.id))
        ? "NOT_VERIFIED"
        : "VERIFIED";
    const numbersOf = (): FakeNumber[] => [
      ...(grant.scenario === "no_phone_number" ? [] : [number]),
      ...(grant.added ?? []).map((n) => ({ ...n, added: !grant.verified?.has(n.id) })),
    ];
    const numberById = (numberId: string) => numbersOf().find((n) => n.id === numberId);

    if (edge === "phone_numbers" && method === "POST") {
      if (!wabas.includes(id)) return graphError(403, 200, "(#200) Permissions error");
      return addNumber(request, grant, id);
    }
    if ((edge === "request_code" || edge === "verify_code") && method === "POST") {
      const target = numberById(id);
      if (!target)
        return graphError(400, 100, `Unsupported post request. Object with ID '${id}' does not exist`, {
          subcode: 33,
        });
      return edge === "request_code"
        ? requestCode(request, url, grant, id)
        : verifyCode(request, url, grant, id);
    }

    if (edge === "phone_numbers" && method === "GET") {
      if (!wabas.includes(id)) return graphError(403, 200, "(#200) Permissions error");
      if (grant.scenario === "rate_limited") {
        return graphError(
          400,
          80008,
          "(#80008) There have been too many calls to this WhatsApp Business account.",
          { whatsapp: true },
        );
      }
      return Response.json({
        data: numbersOf().map((n) => ({
          id: n.id,
          display_phone_number: n.display,
          verified_name: n.verifiedName,
          code_verification_status: verification(n),
          quality_rating: "GREEN",
          ...(n.isOnBizApp ? { is_on_biz_app: true } : {}),
          ...numberState(n.id),
        })),
      });
    }
    if (edge === "subscribed_apps" && method === "POST") {
      if (!wabas.includes(id)) return graphError(403, 200, "(#200) Permissions error");
      subscribedWabas.add(id);
      return Response.json({ success: true });
    }
    if (edge === "register" && method === "POST") {
      const target = numberById(id);
      if (!target) return graphError(400, 100, "(#100) Invalid parameter", { whatsapp: true });
      if (verification(target) !== "VERIFIED") {
        return graphError(400, 133006, "Phone number re-verification needed", { whatsapp: true });
      }
      const body = (await request.json().catch(() => ({}))) as { messaging_product?: unknown; pin?: unknown };
      if (
        body.messaging_product !== "whatsapp" ||
        typeof body.pin !== "string" ||
        !/^\d{6}$/.test(body.pin)
      ) {
        return graphError(400, 100, "(#100) Invalid parameter", { whatsapp: true });
      }
      registerPins.set(id, [...(registerPins.get(id) ?? []), body.pin]);
      if (number.isOnBizApp) {
        return graphError(400, 100, "(#100) This number is in use on the WhatsApp Business app", {
          whatsapp: true,
        });
      }
      const recent = (registers.get(id) ?? []).filter((t) => now() - t < REGISTER_WINDOW_MS);
      if (grant.scenario === "register_limit" || recent.length >= REGISTER_LIMIT) {
        return graphError(400, 133016, "Account register deregister rate limit exceeded", { whatsapp: true });
      }
      recent.push(now());
      registers.set(id, recent);
      const current = registered.get(id);
      if (grant.scenario === "register_error" || (current !== undefined && current !== body.pin)) {
        return graphError(400, 133005, "Two step verification PIN Mismatch", { whatsapp: true });
      }
      registered.set(id, body.pin);
      deregistered.delete(id);
      return Response.json({ success: true });
    }
    if (edge === undefined && method === "GET" && wabas.includes(id)) {
      // Like Graph, a field not asked for is not answered; an unfunded WABA has no funding id.
      const fields = (url.searchParams.get("fields") ?? "").split(",");
      const funded = fields.includes("primary_funding_id") && grant.scenario !== "no_funding";
      return Response.json({
        id,
        owner_business_info: { id: FAKE_BUSINESS_ID, name: FAKE_VERIFIED_NAME },
        ...(funded ? { primary_funding_id: FAKE_FUNDING_ID } : {}),
      });
    }
    if (edge === undefined && method === "GET") {
      const target = numberById(id);
      if (!target)
        return graphError(400, 100, `Unsupported get request. Object with ID '${id}' does not exist`, {
          subcode: 33,
        });
      return Response.json({
        id: target.id,
        display_phone_number: target.display,
        verified_name: target.verifiedName,
        code_verification_status: verification(target),
        ...(target.isOnBizApp ? { is_on_biz_app: true } : {}),
        ...numberState(target.id),
      });
    }
    return graphError(400, 100, `Unsupported request - method type: ${method.toLowerCase()}`, {
      type: "GraphMethodException",
    });
  }

  // What a connected sender does later: the business profile, a picture upload, unsubscribing,
  // the coexistence syncs (`smb_app_data`: coexistence numbers only, each kind once).
  const profiles = new Map<string, Record<string, unknown>>();
  const uploadSessions = new Map<string, { length: number; type: string }>();
  const uploads = new Map<string, { type: string; bytes: Uint8Array }>();
  const profilePictures = new Map<string, { type: string; bytes: Uint8Array }>();
  /** The coexistence syncs requested per number (`smb_app_data`), in order: Meta takes each once. */
  const smbSyncs = new Map<string, string[]>();

  function profileOf(phoneNumberId: string): Record<string, unknown> {
    let profile = profiles.get(phoneNumberId);
    if (!profile) {
      profile = { about: "Hey there! I am using WhatsApp.", vertical: "UNDEFINED", websites: [] };
      profiles.set(phoneNumberId, profile);
    }
    return profile;
  }

  /** Meta's own checks on a profile update (its documented limits). */
  function profileProblem(body: Record<string, unknown>): string | null {
    const text = (key: string, max: number) => {
      const value = body[key];
      return value !== undefined && (typeof value !== "string" || value.length > max) ? key : null;
    };
    const bad =
      text("about", 139) ??
      text("address", 256) ??
      text("description", 512) ??
      text("email", 128) ??
      text("vertical", 40) ??
      text("profile_picture_handle", 4096);
    if (bad) return `Param ${bad} is invalid`;
    if (body.about === "") return "Param about must be at least 1 character";
    const websites = body.websites;
    if (
      websites !== undefined &&
      (!Array.isArray(websites) ||
        websites.length > 2 ||
        !websites.every((w) => typeof w === "string" && /^https?:\/\//.test(w) && w.length <= 256))
    ) {
      return "Param websites is invalid";
    }
    if (typeof body.profile_picture_handle === "string" && !uploads.has(body.profile_picture_handle)) {
      return "Param profile_picture_handle is invalid";
    }
    return null;
  }

  async function handleSenderCall(
    request: Request,
    url: URL,
    method: string,
    id: string,
    edge: string | undefined,
  ): Promise<Response | null> {
    const token = bearer(request, url) ?? "";
    if (edge === "subscribed_apps" && method === "DELETE") {
      if (pageTokens.has(token)) {
        if (pageTokens.get(token) !== id) {
          return graphError(403, 210, "(#210) A page access token is required to request this resource.");
        }
        subscribedPages.delete(id);
        return Response.json({ success: true });
      }
      const grant = businessGrant(request, url);
      if (grant instanceof Response) return grant;
      if (id !== FAKE_WABA_ID) return graphError(403, 200, "(#200) Permissions error");
      subscribedWabas.delete(id);
      return Response.json({ success: true });
    }
    if (edge === "whatsapp_business_profile" && (method === "GET" || method === "POST")) {
      if (pageTokens.has(token)) return graphError(403, 200, "(#200) Permissions error");
      const grant = businessGrant(request, url);
      if (grant instanceof Response) return grant;
      if (id !== numberFor(grant.scenario).id) {
        return graphError(
          400,
          100,
          `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist`,
          {
            subcode: 33,
          },
        );
      }
      const profile = profileOf(id);
      if (method === "GET") {
        const fields = (url.searchParams.get("fields") ?? "").split(",").filter(Boolean);
        const answer: Record<string, unknown> = { messaging_product: "whatsapp" };
        for (const field of fields) if (profile[field] !== undefined) answer[field] = profile[field];
        return Response.json({ data: [answer] });
      }
      const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
      if (body?.messaging_product !== "whatsapp") {
        return graphError(400, 100, "(#100) The parameter messaging_product is required.", {
          whatsapp: true,
        });
      }
      const problem = profileProblem(body);
      if (problem) return graphError(400, 100, `(#100) ${problem}`, { whatsapp: true });
      for (const key of ["about", "address", "description", "email", "vertical", "websites"]) {
        if (body[key] !== undefined) profile[key] = body[key];
      }
      const handle = body.profile_picture_handle;
      if (typeof handle === "string") {
        const file = uploads.get(handle);
        if (file) profilePictures.set(id, file);
        profile.profile_picture_url = `https://pps.whatsapp.net/v/fake/${id}/${mint("p")}.jpg`;
      }
      return Response.json({ success: true });
    }
    if (edge === "smb_app_data" && method === "POST") {
      const grant = businessGrant(request, url);
      if (grant instanceof Response) return grant;
      const number = numberFor(grant.scenario);
      if (id !== number.id) {
        return graphError(400, 100, `Unsupported post request. Object with ID '${id}' does not exist`, {
          subcode: 33,
        });
      }
      const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
      const syncType = body?.sync_type;
      if (
        body?.messaging_product !== "whatsapp" ||
        (syncType !== "smb_app_state_sync" && syncType !== "history")
      ) {
        return graphError(400, 100, "(#100) Invalid parameter", { whatsapp: true });
      }
      if (!number.isOnBizApp) {
        return graphError(400, 100, "(#100) The phone number is not a WhatsApp Business app number", {
          whatsapp: true,
        });
      }
      const done = smbSyncs.get(id) ?? [];
      if (done.includes(syncType)) {
        return graphError(400, 100, `(#100) ${syncType} was already requested for this number`, {
          whatsapp: true,
        });
      }
      smbSyncs.set(id, [...done, syncType]);
      return Response.json({ messaging_product: "whatsapp", request_id: mint("smb") });
    }
    if (edge === "uploads" && method === "POST" && id === appId) {
      if (!tokens.has(token)) return invalidToken();
      const length = Number(url.searchParams.get("file_length"));
      const type = url.searchParams.get("file_type") ?? "";
      if (
        !Number.isSafeInteger(length) ||
        length <= 0 ||
        !/^(image\/(jpeg|png)|video\/mp4|application\/pdf)$/.test(type)
      ) {
        return graphError(400, 100, "(#100) Invalid parameter");
      }
      const session = `upload:${mint("s")}`;
      uploadSessions.set(session, { length, type });
      return Response.json({ id: session });
    }
    if (edge === undefined && method === "POST" && id.startsWith("upload:")) {
      const header = request.headers.get("Authorization") ?? "";
      const oauth = /^OAuth (.+)$/.exec(header)?.[1];
      if (!oauth || !tokens.has(oauth)) return invalidToken();
      const session = uploadSessions.get(id);
      if (!session) return graphError(400, 100, "(#100) Invalid upload session");
      if (request.headers.get("file_offset") !== "0")
        return graphError(400, 100, "(#100) Invalid file_offset");
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.byteLength !== session.length) return graphError(400, 100, "(#100) File length mismatch");
      uploadSessions.delete(id);
      const handle = `4::${btoa(mint("h"))}`;
      uploads.set(handle, { type: session.type, bytes });
      return Response.json({ h: handle });
    }
    return null;
  }

  return {
    fetch: handle,
    appId,
    appSecret,
    /** Issues a code now (it expires in 30 s on this fake's clock). */
    issueCode(scenario = "ok"): string {
      const code = `fake.${scenario}.${mint("n")}`;
      codes.set(code, { scenario, issuedAt: now(), used: false });
      return code;
    },
    calls,
    /** The OAuth dialog's requests so far (their query parameters). */
    dialogs,
    /** The scenario of the codes the OAuth dialog issues from now on (default `ok`). */
    setDialogScenario(scenario: string): void {
      dialogScenario = scenario;
    },
    /** How many requests matched `method path` (e.g. `GET /oauth/access_token`). */
    count(call: string): number {
      return calls.filter((c) => c === call).length;
    },
    /** The number's two-step verification PIN (set by its first register). */
    registeredPin: (phoneNumberId: string) => registered.get(phoneNumberId),
    /** Every PIN `register` was called with for the number, in order, whatever the answer. */
    registerPins: (phoneNumberId: string) => registerPins.get(phoneNumberId) ?? [],
    /** A number already registered with `pin` (by someone else, or an earlier run). */
    setTwoStepPin(phoneNumberId: string, pin: string): void {
      registered.set(phoneNumberId, pin);
    },
    /** The number leaves the Cloud API (no longer CONNECTED) but keeps its two-step PIN. */
    deregister(phoneNumberId: string): void {
      deregistered.add(phoneNumberId);
    },
    isWabaSubscribed: (wabaId: string) => subscribedWabas.has(wabaId),
    /** The client revokes the app: every token issued so far is then Meta's 190. */
    revokeTokens(): void {
      tokens.clear();
      pageTokens.clear();
    },
    /** How the last verification code of a number was asked for (code_method, language). */
    sentCode: (phoneNumberId: string) => sentCodes.get(phoneNumberId),
    pageSubscribedFields: (pageId: string) => subscribedPages.get(pageId),
    /** The number's business profile as Meta stores it (snake_case). */
    businessProfile: (phoneNumberId: string) => ({ ...profileOf(phoneNumberId) }),
    /** The `smb_app_data` sync types requested for the number, in order. */
    smbSyncRequests: (phoneNumberId: string) => smbSyncs.get(phoneNumberId) ?? [],
    /** The picture last set on the number's profile: its type and bytes. */
    profilePicture: (phoneNumberId: string) => profilePictures.get(phoneNumberId),
  };
}

export type FakeMeta = ReturnType<typeof createFakeMeta>;

function stall(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
