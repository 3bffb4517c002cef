import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../lib/context";
import { logEvent } from "../lib/log";

/**
 * One structured log line per request. The route is the matched pattern
 * (`/v1/invitations/:invitationId`), never the raw path, so no id or token lands in logs.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  logEvent("info", "request", {
    requestId: c.var.requestId,
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    durationMs: Math.round(performance.now() - started),
    projectId: c.var.projectId ?? null,
  });
});
