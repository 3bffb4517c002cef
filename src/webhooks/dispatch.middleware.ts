import { createMiddleware } from "hono/factory";
import { type AppEnv, waitUntilOf } from "../lib/context";
import { dispatchPendingEvents } from "./outbox";

/**
 * After a request that built a statement that may have changed a status or put an event back
 * in the outbox (each such statement says so: `mayQueueEvents`, src/db/session.ts),
 * hands the outbox to the queue in `waitUntil`: off the response path, no D1 round trip added
 * before the answer. Other requests (reads, a plain create, webhook settings) skip it. The
 * Cron Trigger catches whatever this misses.
 */
export const dispatchOutboxAfterResponse = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!c.get("database")?.mayHaveQueuedEvents) return;
  // Without an execution context (app.request in a script) the dispatch is not even started
  // (`?.` skips the call and its argument): the cron dispatches.
  waitUntilOf(c)?.(dispatchPendingEvents(c.env, c.get("now")()));
});
