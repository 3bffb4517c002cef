import { createDb } from "../db/client";
import { waitUntilOf } from "../lib/context";
import { ApiError } from "../lib/errors";
import { describeError, logEvent } from "../lib/log";
import { createRouter } from "../lib/openapi";
import { changesOf, queueChanges, storeChanges } from "./inbox";
import { sameSecret, validMetaSignature } from "./signature";

/** Meta's deliveries are small; a coexistence history chunk is the largest (a few MB at most). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The Meta app's webhook callback (docs/operations.md, "Meta app webhooks"). GET: the
 * subscription handshake. POST: a delivery, accepted only when signed with META_APP_SECRET;
 * stored (deduplicated) and answered at once, applied through the queue.
 */
export const metaWebhooksRouter = createRouter()
  .get("/meta/webhooks", async (c) => {
    const expected = c.env.META_WEBHOOK_VERIFY_TOKEN ?? "";
    const mode = c.req.query("hub.mode");
    const token = c.req.query("hub.verify_token") ?? "";
    const challenge = c.req.query("hub.challenge") ?? "";
    // An unset token verifies nothing: the subscription cannot be made by guessing.
    if (expected === "" || mode !== "subscribe" || !(await sameSecret(expected, token))) {
      logEvent("warn", "meta_webhook_verify_refused", { mode: mode ?? null });
      return c.text("Forbidden", 403);
    }
    return c.text(challenge, 200);
  })
  .post("/meta/webhooks", async (c) => {
    const declared = Number(c.req.header("Content-Length") ?? "0");
    if (declared > MAX_BODY_BYTES) throw new ApiError("payload_too_large", "The delivery is too large");
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > MAX_BODY_BYTES)
      throw new ApiError("payload_too_large", "The delivery is too large");
    const secret = c.env.META_APP_SECRET ?? "";
    if (!(await validMetaSignature(secret, body, c.req.header("X-Hub-Signature-256")))) {
      if (!secret) logEvent("error", "meta_webhook_no_app_secret", {});
      throw new ApiError("unauthorized", "Missing or invalid X-Hub-Signature-256");
    }
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new ApiError("invalid_request", "The body is not JSON");
    }
    const changes = changesOf(payload);
    if (changes === null)
      throw new ApiError("invalid_request", "Not a Meta webhook delivery ({ object, entry })");
    const now = c.get("now")();
    const ids = await storeChanges(createDb(c.env.DB), changes, now);
    // Queued after the answer: a lost send is recovered by the cron when the lease lapses.
    const queued = queueChanges(c.env, ids).catch((error) =>
      logEvent("error", "meta_webhook_queue_failed", { changes: ids.length, error: describeError(error) }),
    );
    const waitUntil = waitUntilOf(c);
    if (waitUntil) waitUntil(queued);
    else await queued;
    logEvent("info", "meta_webhook_received", { changes: changes.length, new: ids.length });
    return c.json({ received: changes.length }, 200);
  });
