import { createApp } from "./app";
import { createDb } from "./db/client";
import { purgeOldRecords, retentionDays } from "./db/retention";
import { sweepExpiredInvitations } from "./invitations/expiry";
import { describeError, logEvent } from "./lib/log";
import { requeueOpenChanges } from "./meta-webhooks/inbox";
import { purgeExpiredIdempotencyKeys } from "./middleware/idempotency";
import { sweepStaleAttempts } from "./onboarding/sweep";
import { consumeWebhookQueue } from "./webhooks/consumer";
import { dispatchPendingEvents, type WebhookMessage } from "./webhooks/outbox";

export { RateLimiter } from "./rate-limit/rate-limiter";

// Built at module load, not on the first request: Cloudflare starts the Worker while the
// client's TLS handshake runs, and `npm run size` measures this construction as startup CPU.
const app = createApp();

// Only handlers (and Durable Object classes) may be exported from the entry module.
export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
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
      // After the sweeps, so an attempt they end is purged by the same rule as any ended one.
      sweeps
        .then(() => purgeOldRecords(db, controller.scheduledTime, retentionDays(env)))
        .then((purged) => logEvent("info", "retention_purge", purged)),
      // Meta's webhook changes whose queue message was lost are queued again.
      requeueOpenChanges(env, controller.scheduledTime),
    ]);
    const failed = results.filter((r) => r.status === "rejected");
    for (const failure of failed)
      logEvent("error", "cron_job_failed", { error: describeError(failure.reason) });
    if (failed.length > 0) throw new Error(`${failed.length} scheduled job(s) failed; see the log`);
  },
  async queue(batch, env, _ctx) {
    // The queue's role comes from this environment's WEBHOOK_QUEUE_NAME / WEBHOOK_DLQ_NAME.
    await consumeWebhookQueue(batch, env);
  },
} satisfies ExportedHandler<Env, WebhookMessage>;
