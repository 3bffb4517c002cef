import type { createApp as CreateApp } from "./app";
import { createApp } from "./app";
import { createDb } from "./db/client";
import { sweepExpiredInvitations } from "./invitations/expiry";
import { describeError, logEvent } from "./lib/log";
import { purgeExpiredIdempotencyKeys } from "./middleware/idempotency";
import { sweepStaleAttempts } from "./onboarding/sweep";
import { consumeDeadLetters, consumeWebhookBatch } from "./webhooks/consumer";
import { dispatchPendingEvents, type WebhookMessage } from "./webhooks/outbox";

export { RateLimiter } from "./rate-limit/rate-limiter";

// Built on the first request, not at module load: a cold start pays only for parsing.
let app: ReturnType<typeof CreateApp> | undefined;

/** wrangler.toml's dead-letter queue; the other consumed queue is WEBHOOK_QUEUE's. */
const WEBHOOK_DEAD_LETTER_QUEUE = "webhook-events-dlq";

// Only handlers (and Durable Object classes) may be exported from the entry module.
export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp();
    return app.fetch(request, env, ctx);
  },
  async scheduled(controller, env, _ctx) {
    const db = createDb(env.DB);
    // Independent jobs: one failing must not stop another (the purge must keep up). The
    // dispatch queues the sweep's `expired` events and recovers outbox rows never queued (a
    // crash between the write and the send) or queued and lost (lease lapsed); it runs after
    // the sweep, whatever the sweep's outcome.
    // The attempts' sweep (stale attempts fail: their events too) runs before the dispatch.
    const sweeps = Promise.allSettled([
      sweepExpiredInvitations(db, controller.scheduledTime),
      sweepStaleAttempts(db, controller.scheduledTime),
    ]);
    const sweepThenDispatch = sweeps.then(async (swept) => {
      await dispatchPendingEvents(env, controller.scheduledTime);
      const failed = swept.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    });
    const results = await Promise.allSettled([
      sweepThenDispatch,
      purgeExpiredIdempotencyKeys(db, controller.scheduledTime).then((purged) =>
        logEvent("info", "idempotency_purge", { purged }),
      ),
    ]);
    const failed = results.filter((r) => r.status === "rejected");
    for (const failure of failed)
      logEvent("error", "cron_job_failed", { error: describeError(failure.reason) });
    if (failed.length > 0) throw new Error(`${failed.length} scheduled job(s) failed; see the log`);
  },
  async queue(batch, env, _ctx) {
    if (batch.queue === WEBHOOK_DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeWebhookBatch(batch, env);
  },
} satisfies ExportedHandler<Env, WebhookMessage>;
