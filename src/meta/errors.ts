import type { FailureReason } from "../invitations/lifecycle";

/** Meta's error body: `{ error: { message, type, code, error_subcode?, fbtrace_id, ... } }`. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_msg?: string;
  fbtrace_id?: string;
}

/** The Graph call that failed; some codes mean different things per call. */
export type GraphOperation =
  | "exchange_code"
  | "long_lived_token"
  | "debug_token"
  | "phone_numbers"
  | "phone_number"
  | "waba"
  | "subscribe_waba"
  | "register"
  | "pages"
  | "subscribe_page"
  | "unsubscribe_waba"
  | "unsubscribe_page"
  | "business_profile"
  | "update_business_profile"
  | "upload_session"
  | "upload_file"
  | "smb_app_data"
  | "add_phone_number"
  | "request_code"
  | "verify_code";

/** A failed Graph call, already mapped to the invitation's failure reason. */
export class GraphError extends Error {
  readonly reason: FailureReason;
  readonly operation: GraphOperation;
  readonly code: number | undefined;
  readonly subcode: number | undefined;
  readonly fbtraceId: string | undefined;

  constructor(
    operation: GraphOperation,
    reason: FailureReason,
    message: string,
    meta: { code?: number; subcode?: number; fbtraceId?: string } = {},
  ) {
    super(message);
    this.name = "GraphError";
    this.operation = operation;
    this.reason = reason;
    this.code = meta.code;
    this.subcode = meta.subcode;
    this.fbtraceId = meta.fbtraceId;
  }
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 80008]);
const REGISTER_CODES = new Set([133005, 133006, 133008, 133009, 133010, 133015]);

/** Meta's error codes as failure reasons (META.md, "Error codes worth mapping"). */
export function reasonFor(
  operation: GraphOperation,
  httpStatus: number,
  error: GraphErrorBody | undefined,
): FailureReason {
  const code = error?.code;
  const subcode = error?.error_subcode;
  if (code === undefined) return httpStatus >= 500 ? "meta_unavailable" : "meta_error";
  if (operation === "exchange_code" && code === 100) {
    if (subcode === 36009) return "meta_code_used";
    if (subcode === 36007) return "meta_code_expired";
    return "meta_code_invalid";
  }
  if (code === 133016) return "meta_register_limit";
  if (REGISTER_CODES.has(code)) return "meta_register_failed";
  if (code === 190) return "meta_token_invalid";
  if (code === 10 || (code >= 200 && code <= 299)) return "meta_permission_missing";
  if (RATE_LIMIT_CODES.has(code)) return "meta_rate_limited";
  if (code === 1 || code === 2) return "meta_unavailable";
  if (operation === "register") return "meta_register_failed";
  return "meta_error";
}

/**
 * What the invite page's number step tells the client about a Graph error on `add_phone_number`,
 * `request_code` or `verify_code` (docs/meta.md, "Verifying the number"). These do not end the
 * attempt: the client corrects the input or waits `retryAfterMs` and tries again. Errors that
 * no retry can mend (the token, a permission) end it with their failure reason instead.
 */
export type NumberProblem =
  | "code_incorrect"
  | "code_request_limited"
  | "number_invalid"
  | "number_rejected"
  | "meta_rate_limited"
  | "meta_unavailable";

export type NumberErrorOutcome =
  | { kind: "retry"; problem: NumberProblem; retryAfterMs: number }
  | { kind: "fail"; reason: FailureReason };

/** Meta does not say how long a code-request block lasts: one hour, like its WABA rate window. */
export const CODE_REQUEST_BLOCK_MS = 60 * 60_000;
/** Meta's rate limits: 80007/80008 are per hour on the WABA; the app-level ones pass sooner. */
const WABA_RATE_WAIT_MS = 60 * 60_000;
const APP_RATE_WAIT_MS = 5 * 60_000;
const TRANSIENT_WAIT_MS = 30_000;

export function numberErrorOutcome(error: GraphError): NumberErrorOutcome {
  const code = error.code;
  const retry = (problem: NumberProblem, retryAfterMs = 0): NumberErrorOutcome => ({
    kind: "retry",
    problem,
    retryAfterMs,
  });
  if (error.reason === "meta_unavailable") return retry("meta_unavailable", TRANSIENT_WAIT_MS);
  if (code === 190) return { kind: "fail", reason: "meta_token_invalid" };
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    return { kind: "fail", reason: "meta_permission_missing" };
  }
  if (code === 80007 || code === 80008) return retry("meta_rate_limited", WABA_RATE_WAIT_MS);
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return retry("meta_rate_limited", APP_RATE_WAIT_MS);
  if (code === 136024) return retry("code_request_limited", CODE_REQUEST_BLOCK_MS);
  if (code === 136025) return retry("code_incorrect");
  if (error.operation === "verify_code" && code === 100) return retry("code_incorrect");
  if (error.operation === "add_phone_number" && code === 100) return retry("number_invalid");
  return retry("number_rejected");
}
