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
  | "smb_app_data";

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
