import { createApp } from "./app";
import { createDb } from "./db/client";
import { sweepExpiredInvitations } from "./invitations/expiry";
import { purgeExpiredIdempotencyKeys } from "./middleware/idempotency";

export { RateLimiter } from "./rate-limit/rate-limiter";

const app = createApp();

// Only handlers (and Durable Object classes) may be exported from the entry module.
export default {
  fetch: app.fetch,
  async scheduled(controller, env, _ctx) {
    const db = createDb(env.DB);
    await sweepExpiredInvitations(db, controller.scheduledTime);
    await purgeExpiredIdempotencyKeys(db, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
