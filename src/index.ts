import { createApp } from "./app";
import { createDb } from "./db/client";
import { sweepExpiredInvitations } from "./invitations/expiry";

const app = createApp();

// Only handlers may be exported from the entry module: workerd rejects other exports.
export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    await sweepExpiredInvitations(createDb(env.DB), controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
