import { logEvent } from "../lib/log";
import { GraphError, type GraphErrorBody, type GraphOperation, reasonFor } from "./errors";

/**
 * Every call this service makes to Meta's Graph API. Whatever the mode, the calls are the same:
 * live mode sends them to `graph.facebook.com` (or META_GRAPH_URL), test mode to the built-in
 * fake's handler in-process (src/meta/fake.ts). Each call has a timeout; each failure becomes a
 * GraphError carrying a failure reason. Tokens, codes and the app secret travel in query strings
 * and headers, which are never logged: a log line holds the operation, status, duration and
 * Meta's error code and trace id only.
 */

export type FetchHandler = (request: Request) => Promise<Response>;

export interface GraphOptions {
  /** `fetch` for live mode; the fake's handler for test mode. */
  fetch: FetchHandler;
  graphUrl: string;
  graphVersion: string;
  appId: string;
  appSecret: string;
  /** Per call, milliseconds. */
  timeoutMs: number;
  /** Correlates the log lines with the request's. */
  requestId?: string;
}

export interface GranularScope {
  scope: string;
  targetIds: string[];
}

export interface GraphPhoneNumber {
  id: string;
  displayPhoneNumber: string;
  verifiedName: string | null;
  /** A number in use on the WhatsApp Business app (coexistence): not registered again. */
  isOnBizApp: boolean;
  /** `CLOUD_API` once registered for the Cloud API (`ON_PREMISE`, `NOT_APPLICABLE` otherwise). */
  platformType: string | null;
  /** `CONNECTED` when the number can send (`PENDING`, `DISCONNECTED`, ... otherwise). */
  status: string | null;
  /** `VERIFIED` once its owner confirmed a code (`NOT_VERIFIED`, `EXPIRED` otherwise); null if absent. */
  codeVerificationStatus: string | null;
}

export interface GraphPage {
  id: string;
  name: string;
  accessToken: string;
}

export const DEFAULT_GRAPH_TIMEOUT_MS = 10_000;

/** The Page webhook fields a Messenger sender needs. */
export const PAGE_SUBSCRIBED_FIELDS = [
  "messages",
  "messaging_postbacks",
  "message_deliveries",
  "message_reads",
];

const PHONE_FIELDS =
  "id,display_phone_number,verified_name,code_verification_status,is_on_biz_app,platform_type,status";

type Json = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function phoneNumberFrom(value: unknown): GraphPhoneNumber | null {
  const row = (value ?? {}) as Json;
  const id = str(row.id);
  const display = str(row.display_phone_number);
  if (!id || !display) return null;
  return {
    id,
    displayPhoneNumber: display,
    verifiedName: str(row.verified_name),
    isOnBizApp: row.is_on_biz_app === true,
    platformType: str(row.platform_type),
    status: str(row.status),
    codeVerificationStatus: str(row.code_verification_status),
  };
}

export function createGraph(options: GraphOptions) {
  const base = `${options.graphUrl}/${options.graphVersion}`;

  async function call(
    operation: GraphOperation,
    method: "GET" | "POST" | "DELETE",
    path: string,
    init: {
      query?: Record<string, string>;
      token?: string;
      json?: Json;
      /** Raw bytes (a resumable upload), sent with `headers`. */
      bytes?: Uint8Array;
      headers?: Record<string, string>;
      /** Meta's upload endpoint wants `OAuth <token>`, not `Bearer`. */
      scheme?: "Bearer" | "OAuth";
    } = {},
  ): Promise<Json> {
    const url = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
    const headers = new Headers({ Accept: "application/json", ...init.headers });
    if (init.token) headers.set("Authorization", `${init.scheme ?? "Bearer"} ${init.token}`);
    if (init.json) headers.set("Content-Type", "application/json");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    const started = Date.now();
    const log = (status: number | null, error?: GraphErrorBody | string) =>
      logEvent(status !== null && status < 400 ? "info" : "warn", "graph", {
        requestId: options.requestId ?? null,
        operation,
        status,
        durationMs: Date.now() - started,
        ...(typeof error === "string"
          ? { error }
          : error && {
              code: error.code ?? null,
              subcode: error.error_subcode ?? null,
              fbtraceId: error.fbtrace_id ?? null,
            }),
      });
    let response: Response;
    let body: Json;
    try {
      response = await options.fetch(
        new Request(url, {
          method,
          headers,
          body: init.json ? JSON.stringify(init.json) : init.bytes,
          signal: controller.signal,
        }),
      );
      body = (await response.json().catch(() => ({}))) as Json;
    } catch (error) {
      const timedOut = controller.signal.aborted;
      log(null, timedOut ? "timeout" : "network");
      throw new GraphError(
        operation,
        "meta_unavailable",
        timedOut
          ? `Meta did not answer ${operation} within ${options.timeoutMs} ms`
          : `Meta could not be reached for ${operation}: ${error instanceof Error ? error.name : "error"}`,
      );
    } finally {
      clearTimeout(timer);
    }
    const error = (body.error ?? undefined) as GraphErrorBody | undefined;
    if (!response.ok || error) {
      log(response.status, error ?? {});
      const reason = reasonFor(operation, response.status, error);
      throw new GraphError(
        operation,
        reason,
        `Meta refused ${operation}: ${error?.message ?? `HTTP ${response.status}`}` +
          (error?.code === undefined
            ? ""
            : ` (code ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ""})`),
        { code: error?.code, subcode: error?.error_subcode, fbtraceId: error?.fbtrace_id },
      );
    }
    log(response.status);
    return body;
  }

  const unexpected = (operation: GraphOperation, what: string) =>
    new GraphError(operation, "meta_error", `Meta's answer to ${operation} has no ${what}`);

  return {
    /**
     * Exchanges the client's code for a token. Never retried: codes are single-use. A popup's
     * code goes without `redirect_uri`; the OAuth dialog's with the exact one the dialog was
     * given (else Meta answers 100/36008).
     */
    async exchangeCode(code: string, redirectUri?: string): Promise<string> {
      const query: Record<string, string> = {
        client_id: options.appId,
        client_secret: options.appSecret,
        code,
      };
      if (redirectUri !== undefined) query.redirect_uri = redirectUri;
      const body = await call("exchange_code", "GET", "/oauth/access_token", { query });
      const token = str(body.access_token);
      if (!token) throw unexpected("exchange_code", "access_token");
      return token;
    },

    /** A long-lived user token (about 60 days); Page tokens derived from it do not expire. */
    async longLivedUserToken(token: string): Promise<string> {
      const body = await call("long_lived_token", "GET", "/oauth/access_token", {
        query: {
          grant_type: "fb_exchange_token",
          client_id: options.appId,
          client_secret: options.appSecret,
          fb_exchange_token: token,
        },
      });
      const longLived = str(body.access_token);
      if (!longLived) throw unexpected("long_lived_token", "access_token");
      return longLived;
    },

    /** What `token` may reach, per permission (`debug_token`, with the app token). */
    async granularScopes(token: string): Promise<GranularScope[]> {
      const body = await call("debug_token", "GET", "/debug_token", {
        query: { input_token: token },
        token: `${options.appId}|${options.appSecret}`,
      });
      const data = (body.data ?? {}) as Json;
      if (data.is_valid === false)
        throw new GraphError("debug_token", "meta_token_invalid", "Meta reports the token invalid");
      const scopes = Array.isArray(data.granular_scopes) ? (data.granular_scopes as Json[]) : [];
      return scopes.map((s) => ({
        scope: String(s.scope ?? ""),
        targetIds: Array.isArray(s.target_ids) ? s.target_ids.map(String) : [],
      }));
    },

    async phoneNumbers(token: string, wabaId: string): Promise<GraphPhoneNumber[]> {
      const body = await call("phone_numbers", "GET", `/${encodeURIComponent(wabaId)}/phone_numbers`, {
        query: { fields: PHONE_FIELDS },
        token,
      });
      const data = Array.isArray(body.data) ? body.data : [];
      return data.map(phoneNumberFrom).filter((n): n is GraphPhoneNumber => n !== null);
    },

    async phoneNumber(token: string, phoneNumberId: string): Promise<GraphPhoneNumber> {
      const body = await call("phone_number", "GET", `/${encodeURIComponent(phoneNumberId)}`, {
        query: { fields: PHONE_FIELDS },
        token,
      });
      const number = phoneNumberFrom(body);
      if (!number) throw unexpected("phone_number", "display_phone_number");
      return number;
    },

    /**
     * The business that owns the WABA (`owner_business_info`), read from Meta, not the browser,
     * and whether the WABA has a funding source for paid messages (`primary_funding_id`; the id
     * itself is not kept). One call for both.
     */
    async wabaOwner(token: string, wabaId: string): Promise<{ businessId: string | null; funded: boolean }> {
      const body = await call("waba", "GET", `/${encodeURIComponent(wabaId)}`, {
        query: { fields: "id,owner_business_info,primary_funding_id" },
        token,
      });
      return {
        businessId: str(((body.owner_business_info ?? {}) as Json).id),
        funded: str(body.primary_funding_id) !== null,
      };
    },

    async subscribeWaba(token: string, wabaId: string): Promise<void> {
      await call("subscribe_waba", "POST", `/${encodeURIComponent(wabaId)}/subscribed_apps`, { token });
    },

    /** Registers the number for Cloud API. At most 10 per number in 72 hours: never retried. */
    async register(token: string, phoneNumberId: string, pin: string): Promise<void> {
      await call("register", "POST", `/${encodeURIComponent(phoneNumberId)}/register`, {
        token,
        json: { messaging_product: "whatsapp", pin },
      });
    },

    /**
     * Adds a number to the WABA (Embedded Signup v4 may finish without one): `cc` the calling
     * code, `phoneNumber` the national number, `verifiedName` the display name Meta reviews.
     * Answers the new phone-number id; the number is not verified yet.
     */
    async addPhoneNumber(
      token: string,
      wabaId: string,
      number: { cc: string; phoneNumber: string; verifiedName: string },
    ): Promise<string> {
      const body = await call("add_phone_number", "POST", `/${encodeURIComponent(wabaId)}/phone_numbers`, {
        token,
        query: { cc: number.cc, phone_number: number.phoneNumber, verified_name: number.verifiedName },
      });
      const id = str(body.id);
      if (!id) throw unexpected("add_phone_number", "id");
      return id;
    },

    /** Asks Meta to send the number's verification code by SMS or voice call, in `language`.
     * The parameters go in the query string, as Meta's reference shows (never logged). */
    async requestCode(
      token: string,
      phoneNumberId: string,
      method: "SMS" | "VOICE",
      language: string,
    ): Promise<void> {
      await call("request_code", "POST", `/${encodeURIComponent(phoneNumberId)}/request_code`, {
        token,
        query: { code_method: method, language },
      });
    },

    /** Checks the code the number's owner received; the number is then verified. */
    async verifyCode(token: string, phoneNumberId: string, code: string): Promise<void> {
      await call("verify_code", "POST", `/${encodeURIComponent(phoneNumberId)}/verify_code`, {
        token,
        query: { code },
      });
    },

    /** The Pages the user administers, with their Page tokens. */
    async pages(userToken: string): Promise<GraphPage[]> {
      const body = await call("pages", "GET", "/me/accounts", {
        query: { fields: "id,name,access_token,tasks", limit: "100" },
        token: userToken,
      });
      const data = Array.isArray(body.data) ? (body.data as Json[]) : [];
      return data.flatMap((p) => {
        const id = str(p.id);
        const accessToken = str(p.access_token);
        return id && accessToken ? [{ id, name: str(p.name) ?? id, accessToken }] : [];
      });
    },

    async subscribePage(pageToken: string, pageId: string): Promise<void> {
      await call("subscribe_page", "POST", `/${encodeURIComponent(pageId)}/subscribed_apps`, {
        query: { subscribed_fields: PAGE_SUBSCRIBED_FIELDS.join(",") },
        token: pageToken,
      });
    },

    /** Stops the app's webhooks and access on the WABA (deleting a sender). */
    async unsubscribeWaba(token: string, wabaId: string): Promise<void> {
      await call("unsubscribe_waba", "DELETE", `/${encodeURIComponent(wabaId)}/subscribed_apps`, { token });
    },

    async unsubscribePage(pageToken: string, pageId: string): Promise<void> {
      await call("unsubscribe_page", "DELETE", `/${encodeURIComponent(pageId)}/subscribed_apps`, {
        token: pageToken,
      });
    },

    /** The number's WhatsApp Business profile (Meta answers `{ data: [profile] }`). */
    async businessProfile(token: string, phoneNumberId: string): Promise<GraphBusinessProfile> {
      const body = await call(
        "business_profile",
        "GET",
        `/${encodeURIComponent(phoneNumberId)}/whatsapp_business_profile`,
        { query: { fields: BUSINESS_PROFILE_FIELDS }, token },
      );
      const [profile] = Array.isArray(body.data) ? (body.data as Json[]) : [];
      if (!profile) throw unexpected("business_profile", "data");
      return businessProfileFrom(profile);
    },

    /** Sets the given fields of the profile; the others stay as they are. */
    async updateBusinessProfile(
      token: string,
      phoneNumberId: string,
      fields: Partial<Omit<GraphBusinessProfile, "profilePictureUrl">> & { profilePictureHandle?: string },
    ): Promise<void> {
      const json: Json = { messaging_product: "whatsapp" };
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined)
          json[key === "profilePictureHandle" ? "profile_picture_handle" : key] = value;
      }
      await call(
        "update_business_profile",
        "POST",
        `/${encodeURIComponent(phoneNumberId)}/whatsapp_business_profile`,
        {
          token,
          json,
        },
      );
    },

    /**
     * Asks Meta to sync a coexistence number's WhatsApp Business app data (`smb_app_state_sync`:
     * contacts; `history`: messages, once the business approves in the app). The data then
     * arrives as webhooks. Meta takes it only within 24 hours of the onboarding, once per kind.
     */
    async smbAppData(token: string, phoneNumberId: string, syncType: SmbSyncType): Promise<string | null> {
      const body = await call("smb_app_data", "POST", `/${encodeURIComponent(phoneNumberId)}/smb_app_data`, {
        token,
        json: { messaging_product: "whatsapp", sync_type: syncType },
      });
      return str(body.request_id);
    },

    /**
     * Meta's resumable upload in one piece: a session on the app, then the bytes at offset 0.
     * Returns the file handle (`h`) a profile picture is set with.
     */
    async uploadFile(token: string, bytes: Uint8Array, fileType: string): Promise<string> {
      const session = await call("upload_session", "POST", `/${encodeURIComponent(options.appId)}/uploads`, {
        query: { file_length: String(bytes.byteLength), file_type: fileType },
        token,
      });
      const uploadId = str(session.id);
      if (!uploadId?.startsWith("upload:")) throw unexpected("upload_session", "id");
      const uploaded = await call("upload_file", "POST", `/${uploadId}`, {
        token,
        scheme: "OAuth",
        bytes,
        headers: { file_offset: "0", "Content-Type": "application/octet-stream" },
      });
      const handle = str(uploaded.h);
      if (!handle) throw unexpected("upload_file", "h");
      return handle;
    },
  };
}

export type Graph = ReturnType<typeof createGraph>;

export type SmbSyncType = "smb_app_state_sync" | "history";

/** The WhatsApp Business profile fields this service reads and writes. */
export interface GraphBusinessProfile {
  about?: string;
  address?: string;
  description?: string;
  email?: string;
  profilePictureUrl?: string;
  vertical?: string;
  websites?: string[];
}

const BUSINESS_PROFILE_FIELDS = "about,address,description,email,profile_picture_url,websites,vertical";

function businessProfileFrom(row: Json): GraphBusinessProfile {
  const profile: GraphBusinessProfile = {};
  for (const key of ["about", "address", "description", "email", "vertical"] as const) {
    const value = str(row[key]);
    if (value !== null) profile[key] = value;
  }
  const picture = str(row.profile_picture_url);
  if (picture !== null) profile.profilePictureUrl = picture;
  if (Array.isArray(row.websites)) {
    profile.websites = row.websites.filter((w): w is string => typeof w === "string" && w.length > 0);
  }
  return profile;
}
