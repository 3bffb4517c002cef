/**
 * The reference for `npm run bench`: what a create, a get and a list cost with no framework.
 * It parses and validates the same create body by hand, mints the token the same way (random,
 * HMAC-SHA-256 for lookup, AES-256-GCM at rest), does one INSERT of an invitation row into D1
 * and answers the same JSON. Get and list: one SELECT each, tokens decrypted, the same JSON.
 * No auth, no rate limit, no idempotency. No logs, unless `LOG_REQUESTS` is "1": then one
 * request line per request, the service's own (src/middleware/observability.ts), which tells
 * what that one console call costs under `wrangler dev`. With `D1_SESSIONS` "1", each request
 * also runs on a D1 Sessions API session, as the service's read replication does (a GET from any
 * replica, anything else from the primary), and answers its bookmark sealed with AES-GCM in
 * `X-D1-Bookmark`: the same platform work, without the service's framework and checks.
 * Not deployed; not part of the service.
 */

interface Env {
  DB: D1Database;
  TOKEN_HASH_KEY: string;
  ENCRYPTION_KEYS: string;
  PROJECT_ID: string;
  LOG_REQUESTS?: string;
  D1_SESSIONS?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const E164 = /^\+[1-9]\d{1,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const COUNTRY = /^[A-Za-z]{2}$/;
const METADATA_KEY = /^[A-Za-z0-9_-]{1,40}$/;
const FIELDS = new Set([
  "clientName",
  "clientEmail",
  "clientPhone",
  "phoneNumberId",
  "expiresInDays",
  "allowedPhoneCountries",
  "connectionType",
  "phoneNumberType",
  "language",
  "successRedirectUrl",
  "failureRedirectUrl",
  "metadata",
]);
const PHONE_NUMBER_TYPES = new Set(["cloud_api", "business_app", "any"]);
const LANGUAGES = new Set(["en", "es", "pt"]);

function b64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64(value: string): Uint8Array<ArrayBuffer> {
  const normalized = value.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(normalized + "=".repeat((4 - (normalized.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let keys: Promise<{ hmac: CryptoKey; aes: CryptoKey; aesId: string }> | undefined;
function cryptoKeys(env: Env) {
  keys ??= (async () => {
    const [id, raw] = (env.ENCRYPTION_KEYS.split(",")[0] ?? "").split(":");
    return {
      hmac: await crypto.subtle.importKey(
        "raw",
        fromB64(env.TOKEN_HASH_KEY),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
      aes: await crypto.subtle.importKey("raw", fromB64(raw ?? ""), "AES-GCM", false, ["encrypt", "decrypt"]),
      aesId: id ?? "",
    };
  })();
  return keys;
}

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const invalid = (field: string, message: string) =>
  json(
    { code: "invalid_request", message: "The request is invalid", details: { fields: { [field]: message } } },
    400,
  );

interface Row {
  id: string;
  token_ciphertext: string;
  client_name: string | null;
  client_email: string | null;
  client_phone: string | null;
  phone_number_id: string | null;
  connection_type: string;
  status: string;
  sender_id: string | null;
  connected_account_id: string | null;
  connected_account_channel: string | null;
  connected_account_name: string | null;
  failure_reason: string | null;
  onboarding_step: string | null;
  expires_at: number;
  viewed_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  created_at: number;
  updated_at: number;
  phone_number_type: string | null;
  language: string | null;
  success_redirect_url: string | null;
  failure_redirect_url: string | null;
  metadata: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The service's `Invitation`, every field read from the row (the contract's 25 fields). */
function invitation(row: Row, token: string, url: URL) {
  const expired = (row.status === "pending" || row.status === "in_progress") && row.expires_at <= Date.now();
  const status = expired ? "expired" : row.status;
  return {
    id: row.id,
    url: `${url.origin}/invite/${token}`,
    token,
    clientName: row.client_name,
    clientEmail: row.client_email,
    clientPhone: row.client_phone,
    phoneNumberId: row.phone_number_id,
    connectionType: row.connection_type,
    status,
    senderId: row.sender_id,
    connectedAccount:
      row.connected_account_id && row.connected_account_channel
        ? {
            id: row.connected_account_id,
            channel: row.connected_account_channel,
            name: row.connected_account_name,
          }
        : null,
    failureReason: row.failure_reason,
    onboardingStep: status === "in_progress" ? row.onboarding_step : null,
    expiresAt: iso(row.expires_at),
    viewedAt: isoOrNull(row.viewed_at),
    startedAt: isoOrNull(row.started_at),
    completedAt: isoOrNull(row.completed_at),
    failedAt: isoOrNull(row.failed_at),
    phoneNumberType: row.phone_number_type,
    language: row.language,
    createdAt: iso(row.created_at),
    updatedAt: iso(expired ? Math.max(row.updated_at, row.expires_at) : row.updated_at),
    successRedirectUrl: row.success_redirect_url,
    failureRedirectUrl: row.failure_redirect_url,
    metadata: row.metadata === null ? {} : (JSON.parse(row.metadata) as Record<string, string>),
  };
}

async function decrypt(env: Env, sealed: string): Promise<string> {
  const [, iv, data] = sealed.split(".");
  const { aes } = await cryptoKeys(env);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromB64(iv ?? "") },
    aes,
    fromB64(data ?? ""),
  );
  return decoder.decode(plain);
}

async function create(request: Request, env: Env, url: URL): Promise<Response> {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse((await request.text()) || "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return invalid("body", "Expected an object");
    body = parsed as Record<string, unknown>;
  } catch {
    return invalid("body", "Malformed JSON");
  }
  for (const key of Object.keys(body)) if (!FIELDS.has(key)) return invalid(key, "Unknown field");
  const { clientName, clientEmail, clientPhone, phoneNumberId, allowedPhoneCountries } = body;
  const expiresInDays = body.expiresInDays ?? 7;
  const connectionType = body.connectionType ?? "whatsapp_waba";
  if (clientName !== undefined && (typeof clientName !== "string" || clientName.length > 100))
    return invalid("clientName", "Too long");
  if (clientEmail !== undefined && (typeof clientEmail !== "string" || !EMAIL.test(clientEmail)))
    return invalid("clientEmail", "Invalid");
  if (clientPhone !== undefined && (typeof clientPhone !== "string" || !E164.test(clientPhone)))
    return invalid("clientPhone", "Invalid");
  if (phoneNumberId !== undefined && typeof phoneNumberId !== "string")
    return invalid("phoneNumberId", "Invalid");
  if (
    typeof expiresInDays !== "number" ||
    !Number.isInteger(expiresInDays) ||
    expiresInDays < 1 ||
    expiresInDays > 30
  )
    return invalid("expiresInDays", "Invalid");
  if (connectionType !== "whatsapp_waba" && connectionType !== "messenger")
    return invalid("connectionType", "Invalid");
  if (
    allowedPhoneCountries !== undefined &&
    (!Array.isArray(allowedPhoneCountries) ||
      allowedPhoneCountries.length === 0 ||
      !allowedPhoneCountries.every((c) => typeof c === "string" && COUNTRY.test(c)))
  )
    return invalid("allowedPhoneCountries", "Invalid");
  const { phoneNumberType, language, successRedirectUrl, failureRedirectUrl, metadata } = body;
  if (phoneNumberType !== undefined && !PHONE_NUMBER_TYPES.has(phoneNumberType as string))
    return invalid("phoneNumberType", "Invalid");
  if (language !== undefined && !LANGUAGES.has(language as string)) return invalid("language", "Invalid");
  for (const [field, value] of [
    ["successRedirectUrl", successRedirectUrl],
    ["failureRedirectUrl", failureRedirectUrl],
  ] as const) {
    if (
      value !== undefined &&
      (typeof value !== "string" || !URL.canParse(value) || !value.startsWith("https://"))
    )
      return invalid(field, "Invalid");
  }
  let metadataText: string | null = null;
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
      return invalid("metadata", "Invalid");
    const entries = Object.entries(metadata);
    if (entries.length > 20) return invalid("metadata", "Too many keys");
    for (const [key, value] of entries) {
      if (!METADATA_KEY.test(key) || typeof value !== "string" || value.length > 500)
        return invalid("metadata", "Invalid");
    }
    if (entries.length > 0) metadataText = JSON.stringify(metadata);
  }

  const { hmac, aes, aesId } = await cryptoKeys(env);
  const token = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const [mac, sealed] = await Promise.all([
    crypto.subtle.sign("HMAC", hmac, encoder.encode(token)),
    crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, encoder.encode(token)),
  ]);
  const tokenHash = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const now = Date.now();
  const row: Row = {
    id: `inv_${b64url(crypto.getRandomValues(new Uint8Array(15)))}`,
    token_ciphertext: `${aesId}.${b64url(iv)}.${b64url(new Uint8Array(sealed))}`,
    client_name: (clientName as string | undefined) ?? null,
    client_email: (clientEmail as string | undefined) ?? null,
    client_phone: (clientPhone as string | undefined) ?? null,
    phone_number_id: (phoneNumberId as string | undefined) ?? null,
    connection_type: connectionType,
    status: "pending",
    sender_id: null,
    connected_account_id: null,
    connected_account_channel: null,
    connected_account_name: null,
    failure_reason: null,
    onboarding_step: null,
    expires_at: now + expiresInDays * 86_400_000,
    viewed_at: null,
    started_at: null,
    completed_at: null,
    failed_at: null,
    created_at: now,
    updated_at: now,
    phone_number_type: (phoneNumberType as string | undefined) ?? null,
    language: (language as string | undefined) ?? null,
    success_redirect_url: (successRedirectUrl as string | undefined) ?? null,
    failure_redirect_url: (failureRedirectUrl as string | undefined) ?? null,
    metadata: metadataText,
  };
  const countries = Array.isArray(allowedPhoneCountries)
    ? JSON.stringify(allowedPhoneCountries.map((c) => String(c).toUpperCase()))
    : null;
  await env.DB.prepare(
    `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, client_name, client_email, client_phone,
       phone_number_id, connection_type, allowed_phone_countries, status, expires_at, created_at, updated_at,
       phone_number_type, language, success_redirect_url, failure_redirect_url, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      row.id,
      env.PROJECT_ID,
      tokenHash,
      row.token_ciphertext,
      row.client_name,
      row.client_email,
      row.client_phone,
      row.phone_number_id,
      row.connection_type,
      countries,
      row.status,
      row.expires_at,
      row.created_at,
      row.updated_at,
      row.phone_number_type,
      row.language,
      row.success_redirect_url,
      row.failure_redirect_url,
      row.metadata,
    )
    .run();
  return json({ invitation: invitation(row, token, url) }, 201);
}

async function route(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/v1/invitations" && request.method === "POST") return create(request, env, url);
  if (url.pathname === "/v1/invitations" && request.method === "GET") {
    const { results } = await env.DB.prepare(
      // The service's own filter (a key lists its project's rows of its mode), on the same index.
      "SELECT * FROM invitations WHERE project_id = ? AND mode = 'live' ORDER BY created_at DESC, id DESC LIMIT 51",
    )
      .bind(env.PROJECT_ID)
      .all<Row>();
    const page = results.slice(0, 50);
    const items = await Promise.all(
      page.map(async (row) => invitation(row, await decrypt(env, row.token_ciphertext), url)),
    );
    return json({ items, nextCursor: results.length > 50 ? "next" : null }, 200);
  }
  const match = /^\/v1\/invitations\/([^/]+)$/.exec(url.pathname);
  if (match && request.method === "GET") {
    const row = await env.DB.prepare("SELECT * FROM invitations WHERE id = ? AND project_id = ? LIMIT 1")
      .bind(match[1], env.PROJECT_ID)
      .first<Row>();
    if (!row) return json({ code: "not_found", message: "No invitation with this id" }, 404);
    return json({ invitation: invitation(row, await decrypt(env, row.token_ciphertext), url) }, 200);
  }
  return json({ code: "not_found", message: "No route" }, 404);
}

/** The service's request line: the same fields, the same single console call. */
async function logged(request: Request, env: Env): Promise<Response> {
  const started = performance.now();
  const requestId = crypto.randomUUID();
  const response = await handle(request, env);
  const path = new URL(request.url).pathname;
  console.log(
    JSON.stringify({
      level: "info",
      event: "request",
      requestId,
      clientRequestId: null,
      method: request.method,
      route: path === "/v1/invitations" ? path : "/v1/invitations/:invitationId",
      status: response.status,
      durationMs: Math.round(performance.now() - started),
      projectId: env.PROJECT_ID,
    }),
  );
  return response;
}

/** The request on a D1 session, its bookmark sealed into the response (the service's replica reads). */
async function inSession(request: Request, env: Env): Promise<Response> {
  const session = env.DB.withSession(request.method === "GET" ? "first-unconstrained" : "first-primary");
  const response = await route(request, { ...env, DB: session as unknown as D1Database });
  const bookmark = session.getBookmark();
  if (bookmark !== null) {
    const { aes, aesId } = await cryptoKeys(env);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, encoder.encode(bookmark));
    response.headers.set("X-D1-Bookmark", `${aesId}.${b64url(iv)}.${b64url(new Uint8Array(sealed))}`);
  }
  return response;
}

const handle = (request: Request, env: Env) =>
  env.D1_SESSIONS === "1" ? inSession(request, env) : route(request, env);

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.LOG_REQUESTS === "1" ? logged(request, env) : handle(request, env);
  },
};
