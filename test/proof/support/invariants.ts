import { ERROR_STATUS } from "../../../src/lib/errors";
import { BASE, describe, type Sent } from "./http";
import type { ApiDocument } from "./openapi";

/**
 * The invariants every response must keep, whatever was asked:
 *
 * - never a 5xx (nor a 1xx/3xx: the service answers or refuses);
 * - `X-Request-Id` on every response, `X-RateLimit-{Limit,Remaining,Reset}` on every /v1 one;
 * - every non-2xx is JSON and the contract's `Error`: `code` one of ERROR_STATUS, the status
 *   that ERROR_STATUS gives it, a non-empty `message`, `details` absent or an object, nothing
 *   else; and valid against the served document's `Error` (and, for a documented operation,
 *   a status that operation declares);
 * - every 2xx of a documented operation is JSON, has a status the operation declares and a
 *   body valid against that response's schema.
 *
 * `html: true` (only for the invite page asked with `Accept: text/html`) also admits HTML
 * pages with 200, 404 or 410.
 */

export interface Checked {
  status: number;
  /** Parsed JSON body (undefined for HEAD and HTML). */
  body: unknown;
  html: boolean;
}

export type ErrorBody = { code: string; message: string; details?: Record<string, unknown> };

export class InvariantError extends Error {}

function fail(sent: Sent, message: string): never {
  throw new InvariantError(
    `${message}\n  request: ${describe(sent.req)}\n  response: ${sent.res.status} ${sent.res.headers.get(
      "content-type",
    )} ${sent.text.slice(0, 500)}`,
  );
}

const INTEGER = /^\d+$/;
const ERROR_KEYS = new Set(["code", "message", "details"]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function pathnameOf(path: string): string {
  return new URL(`${BASE}${path}`).pathname;
}

export function checkResponse(api: ApiDocument, sent: Sent, options: { html?: boolean } = {}): Checked {
  const { res, req } = sent;
  const status = res.status;
  const pathname = pathnameOf(req.path);
  if (status >= 500) fail(sent, `5xx answered`);
  if (status < 200 || status >= 500 || (status >= 300 && status < 400))
    fail(sent, `unexpected status ${status}`);
  if (!res.headers.get("x-request-id")) fail(sent, "no X-Request-Id");
  if (pathname.startsWith("/v1/")) {
    for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
      const value = res.headers.get(name);
      if (value === null || !INTEGER.test(value))
        fail(sent, `/v1 response without a valid ${name}: ${value}`);
    }
  }
  if (req.method === "HEAD") {
    if (sent.text !== "") fail(sent, "HEAD answered with a body");
    return { status, body: undefined, html: false };
  }

  const contentType = res.headers.get("content-type") ?? "";
  const ok = status >= 200 && status < 300;
  if (/^text\/html\b/i.test(contentType)) {
    const htmlAllowed =
      (options.html && pathname.startsWith("/invite/") && [200, 404, 410].includes(status)) ||
      (pathname === "/docs" && status === 200);
    if (!htmlAllowed) fail(sent, `HTML answered here`);
    if (!/^<!doctype html>/i.test(sent.text.trimStart()))
      fail(sent, "text/html that is not an HTML document");
    return { status, body: undefined, html: true };
  }
  if (!/^application\/json\b/i.test(contentType)) fail(sent, `content type is not application/json`);
  let body: unknown;
  try {
    body = JSON.parse(sent.text);
  } catch {
    fail(sent, "body is not JSON");
  }
  const op = api.operationOf(req.method, pathname);

  if (!ok) {
    if (!isPlainObject(body)) fail(sent, "error body is not an object");
    const extra = Object.keys(body).filter((k) => !ERROR_KEYS.has(k));
    if (extra.length > 0) fail(sent, `error body has keys beyond code/message/details: ${extra.join(",")}`);
    const { code, message, details } = body as Record<string, unknown>;
    if (typeof code !== "string" || !Object.hasOwn(ERROR_STATUS, code))
      fail(sent, `unknown error code ${code}`);
    if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== status) {
      fail(sent, `code ${code} must be ${ERROR_STATUS[code as keyof typeof ERROR_STATUS]}, was ${status}`);
    }
    if (typeof message !== "string" || message.trim() === "") fail(sent, "error without a message");
    if (details !== undefined && !isPlainObject(details)) fail(sent, "details is not an object");
    const errors = op ? api.validate(op, status, body) : api.validateComponent("Error", body);
    if (errors.length > 0) fail(sent, `error body invalid against the document: ${errors.join("; ")}`);
    return { status, body, html: false };
  }

  if (op) {
    const errors = api.validate(op, status, body);
    if (errors.length > 0) fail(sent, `2xx body invalid against the document: ${errors.join("; ")}`);
  } else if (!pathname.startsWith("/invite/") && pathname !== "/openapi.json") {
    fail(sent, `2xx from ${pathname}, which is no documented operation`);
  }
  return { status, body, html: false };
}

/** Asserts an `Error` with this status and code; returns it. */
export function expectErrorBody(sent: Sent, checked: Checked, status: number, code: string): ErrorBody {
  if (checked.status !== status) fail(sent, `expected ${status} ${code}, got ${checked.status}`);
  const body = checked.body as ErrorBody;
  if (body.code !== code) fail(sent, `expected code ${code}, got ${body.code}`);
  return body;
}

export function expectStatus(sent: Sent, checked: Checked, ...statuses: number[]): void {
  if (!statuses.includes(checked.status))
    fail(sent, `expected status ${statuses.join(" or ")}, got ${checked.status}`);
}

export function failWith(sent: Sent, message: string): never {
  fail(sent, message);
}
