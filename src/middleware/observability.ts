import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../lib/context";
import { logEvent } from "../lib/log";

// What a client's own X-Request-Id may be to be logged: short, printable, no spaces or quotes.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * Every request gets an id generated here (`X-Request-Id` on the response, `requestId` in
 * logs and error bodies), so an id in the logs always names one request. A client's own
 * `X-Request-Id` is kept apart, as `clientRequestId` in the log line, when well-formed.
 */
export const assignRequestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = crypto.randomUUID();
  c.set("requestId", id);
  const sent = c.req.header("X-Request-Id");
  if (sent !== undefined && CLIENT_REQUEST_ID.test(sent)) c.set("clientRequestId", sent);
  await next();
  c.res.headers.set("X-Request-Id", id);
});

/**
 * One structured log line per request. The route is the matched pattern
 * (`/v1/invitations/:invitationId`), never the raw path, so no id or token lands in logs.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  logEvent("info", "request", {
    requestId: c.get("requestId"),
    clientRequestId: c.get("clientRequestId") ?? null,
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    durationMs: Math.round(performance.now() - started),
    projectId: c.get("projectId") ?? null,
  });
});
