import type { Hook } from "@hono/zod-openapi";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "./context";
import { ApiError, ERROR_CODES } from "./errors";

export const ErrorSchema = z
  .object({
    code: z.enum(ERROR_CODES).openapi({
      description: "Stable machine-readable code; see docs/api.md for the full list.",
      example: "invalid_request",
    }),
    message: z.string().openapi({ example: "Phone number is invalid" }),
    details: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "Context for the error: `requestId` always; `fields` (field path to message) on validation errors.",
    }),
  })
  .openapi("Error");

/** The `Idempotency-Key` header every POST under /v1 accepts (src/middleware/idempotency.ts). */
export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description:
      "Makes a retry safe: the same key with the same request within 24 hours replays the first response instead of acting again. Reusing a key with a different request is a 422 `idempotency_key_reused`; while the first request with the key is still running, a retry waits up to about 5 s and then gets a 409 `idempotency_key_in_progress` (retry it).",
  }),
});

type ZodIssueLike = { path: PropertyKey[]; message: string; code: string; keys?: string[] };

/** Field path (`allowedPhoneCountries.1`) to message, for every offending field. */
export function fieldErrors(issues: readonly ZodIssueLike[], root = "body"): Record<string, string> {
  // A Map, not an object literal: field names come from the client ("constructor",
  // "__proto__") and must not meet Object.prototype.
  const fields = new Map<string, string>();
  const add = (field: string, message: string) => {
    const previous = fields.get(field);
    fields.set(field, previous === undefined ? message : `${previous}; ${message}`);
  };
  for (const issue of issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys" && issue.keys) {
      for (const key of issue.keys) add(path ? `${path}.${key}` : key, "Unknown field");
    } else {
      add(path || root, issue.message);
    }
  }
  return Object.fromEntries(fields);
}

/** Turns every request-validation failure into the one `Error` body. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const root = result.target === "json" ? "body" : result.target;
  throw new ApiError("invalid_request", "The request is invalid; see details.fields.", {
    details: { fields: fieldErrors(result.error.issues, root) },
  });
};

export function createRouter() {
  // TrieRouter, through Hono's public `router` option: of Hono's routers, the fastest here on the
  // first match (no matcher to compile: the cold start) and after it (docs/performance.md).
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new TrieRouter() });
}

/** An OpenAPI response object whose body is the `Error` schema. */
const errorResponseSpec = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The error responses routes declare, spread into each route's `responses`. */
export const errorResponses = {
  400: errorResponseSpec("Invalid request (code `invalid_request`, or `invalid_state`)."),
  401: errorResponseSpec("Missing, malformed, unknown or revoked API key (code `unauthorized`)."),
  404: errorResponseSpec("Not found, or not in this project (code `not_found`)."),
  413: errorResponseSpec("Request body larger than 64 KiB (code `payload_too_large`)."),
  415: errorResponseSpec("Body sent with a content type other than JSON (code `unsupported_media_type`)."),
  409: errorResponseSpec(
    "A request with the same Idempotency-Key is still running (code `idempotency_key_in_progress`); retry after `Retry-After`.",
  ),
  422: errorResponseSpec("Idempotency-Key reused with a different request (code `idempotency_key_reused`)."),
  429: errorResponseSpec("Rate limit exceeded (code `rate_limited`); see `Retry-After`."),
  500: errorResponseSpec(
    "Unexpected failure (code `internal_error`); safe to retry with the same Idempotency-Key.",
  ),
} as const;

/** A JSON response of `schema`, for a route's `responses`. */
/** A required JSON request body. */
export const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** The query of every cursor list: `limit` (1 to 100, default 50) and `cursor`. */
export const pageQuery = {
  limit: z
    .string()
    .regex(/^\d+$/, { error: "Must be an integer from 1 to 100" })
    .transform(Number)
    .pipe(z.number().int().min(1, "Must be at least 1").max(100, "Must be at most 100"))
    .optional()
    .openapi({ type: "integer", default: 50, minimum: 1, maximum: 100 }),
  cursor: z.string().min(1).optional().openapi({ description: "`nextCursor` of the previous page." }),
};
