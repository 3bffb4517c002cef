import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { AppEnv } from "./context";
import { KeyringError } from "./crypto";
import { ApiError, type ErrorBody, type ErrorCode } from "./errors";
import { describeError, logEvent } from "./log";

// Statuses that Hono or its middleware raise as HTTPException, as this service's codes.
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "unauthorized",
  404: "not_found",
  410: "gone",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

const HTTP_EXCEPTION_MESSAGES: Partial<Record<ErrorCode, string>> = {
  unsupported_media_type: "Send the request body as JSON (Content-Type: application/json)",
};

/** The contract's `Error` body, with the request id in `details` so a report can be traced. */
export function errorJsonResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = {
    code: error.code,
    message: error.message,
    details: { ...error.details, requestId: c.get("requestId") },
  };
  return c.json(body, error.status, error.headers);
}

/** `onError` of the app: every thrown thing becomes one `Error` body; unknown ones a 500. */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  if (error instanceof ApiError) return errorJsonResponse(c, error);
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status];
    if (code) {
      const message = HTTP_EXCEPTION_MESSAGES[code] ?? error.message ?? "Invalid request";
      return errorJsonResponse(c, new ApiError(code, message));
    }
  }
  if (error instanceof KeyringError) {
    // The operator's mistake, not the client's: the log names it (never key material).
    logEvent("error", "keyring_invalid", { requestId: c.get("requestId"), problem: error.message });
  } else {
    // Unexpected: log it whole for the operator, tell the client nothing of the internals.
    logEvent("error", "unhandled_exception", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: routePath(c, -1),
      error: describeError(error),
    });
  }
  return errorJsonResponse(c, new ApiError("internal_error", "An unexpected error occurred; retry later"));
}
