import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { dispatchPendingEvents } from "./outbox";

/**
 * After any request that may have changed a status (every non-GET, and the invite link's
 * routes), hands the outbox to the queue in `waitUntil`: off the response path, no D1 round
 * trip added before the answer. A request refused before any work (401, 429) skips it. The
 * Cron Trigger catches whatever this misses.
 */
export const dispatchOutboxAfterResponse = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const readOnly = c.req.method === "GET" || c.req.method === "HEAD";
  if (readOnly && !c.req.path.startsWith("/invite/")) return;
  if (c.res.status === 401 || c.res.status === 429) return;
  let waitUntil: (promise: Promise<unknown>) => void;
  try {
    const ctx = c.executionCtx;
    waitUntil = ctx.waitUntil.bind(ctx);
  } catch {
    return; // no execution context (app.request in a script): the cron dispatches
  }
  waitUntil(dispatchPendingEvents(c.env, c.var.now()));
});
