import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed set of error codes this service answers with, and the HTTP status of each.
 * Clients branch on `code`; the status follows from it. Documented in docs/api.md and OpenAPI.
 *
 * No state conflict is a 409: Stainless clients (such as `@zavudev/sdk`) retry 409s, and
 * retrying cannot fix an invitation that is already cancelled. The one 409 is for the case a
 * retry does fix: a request with the same Idempotency-Key still running.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_state: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  // Retryable: the first request with this key is still running. Clients retry 409s.
  idempotency_key_in_progress: 409,
  // An invitation link that worked once and no longer does (cancelled, expired, used).
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export type ErrorDetails = Record<string, unknown>;

/** The one error type of the service; `onError` turns it into the contract's `Error` body. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetails; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** The 404 of a path this Worker does not serve. */
export function noRoute(method: string, path: string): ApiError {
  return new ApiError("not_found", `No route for ${method} ${path}`);
}

/** The contract's `Error` component. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}
