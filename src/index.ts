import { createApp } from "./app";
import { createDb } from "./db/client";
import { sweepExpiredInvitations } from "./invitations/expiry";
import { purgeExpiredIdempotencyKeys } from "./middleware/idempotency";
import { consumeDeadLetters, consumeWebhookBatch } from "./webhooks/consumer";
import { dispatchPendingEvents, type WebhookMessage } from "./webhooks/outbox";

export { RateLimiter } from "./rate-limit/rate-limiter";

const app = createApp();

/** wrangler.toml's dead-letter queue; the other consumed queue is WEBHOOK_QUEUE's. */
const WEBHOOK_DEAD_LETTER_QUEUE = "webhook-events-dlq";

// Only handlers (and Durable Object classes) may be exported from the entry module.
export default {
  fetch: app.fetch,
  async scheduled(controller, env, _ctx) {
    const db = createDb(env.DB);
    await sweepExpiredInvitations(db, controller.scheduledTime);
    // Queues the sweep's `expired` events, and recovers outbox rows never queued (a crash
    // between the write and the send) or queued and lost (lease lapsed).
    await dispatchPendingEvents(env, controller.scheduledTime);
    await purgeExpiredIdempotencyKeys(db, controller.scheduledTime);
  },
  async queue(batch, env, _ctx) {
    if (batch.queue === WEBHOOK_DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeWebhookBatch(batch, env);
  },
} satisfies ExportedHandler<Env, WebhookMessage>;
