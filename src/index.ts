import type { createApp as CreateApp } from "./app";
import { createApp } from "./app";
import { createDb } from "./db/client";
import { sweepExpiredInvitations } from "./invitations/expiry";
import { describeError, logEvent } from "./lib/log";
import { purgeExpiredIdempotencyKeys } from "./middleware/idempotency";

export { RateLimiter } from "./rate-limit/rate-limiter";

// Built on the first request, not at module load: a cold start pays only for parsing.
let app: ReturnType<typeof CreateApp> | undefined;

// Only handlers (and Durable Object classes) may be exported from the entry module.
export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp();
    return app.fetch(request, env, ctx);
  },
  async scheduled(controller, env, _ctx) {
    const db = createDb(env.DB);
    // Two independent jobs: one failing must not stop the other (the purge must keep up).
    const results = await Promise.allSettled([
      sweepExpiredInvitations(db, controller.scheduledTime),
      purgeExpiredIdempotencyKeys(db, controller.scheduledTime).then((purged) =>
        logEvent("info", "idempotency_purge", { purged }),
      ),
    ]);
    const failed = results.filter((r) => r.status === "rejected");
    for (const failure of failed)
      logEvent("error", "cron_job_failed", { error: describeError(failure.reason) });
    if (failed.length > 0) throw new Error(`${failed.length} scheduled job(s) failed; see the log`);
  },
} satisfies ExportedHandler<Env>;
