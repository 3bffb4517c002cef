import { and, eq, sql } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import {
  type DeliveryOutcome,
  invitationEvents,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import { decryptSecret, randomId } from "../lib/crypto";
import { describeError, logEvent } from "../lib/log";
import { statusChangedEvent } from "./event";
import { OUTBOX_LEASE_MS, type WebhookMessage } from "./outbox";
import { webhookQueueRole } from "./queues";
import { retryDelaySeconds, type WebhookSettings, webhookSettings } from "./settings";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";
import { webhookUrlProblem } from "./url-policy";

export const DELIVERY_TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 200;

interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  excerpt: string | null;
}

/** The first bytes of a response, without reading (or waiting for) the rest. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return text.slice(0, EXCERPT_CHARS) || null;
}

async function post(url: string, body: string, signature: string, eventId: string): Promise<AttemptResult> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Zavu-Webhooks/1.0",
        [SIGNATURE_HEADER]: signature,
        "X-Zavu-Event-Id": eventId,
      },
      body,
      // A redirect could lead anywhere, internal addresses included: it is a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const excerpt = await readExcerpt(res).catch(() => null);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}`, excerpt };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const message = timedOut
      ? `Timed out after ${DELIVERY_TIMEOUT_MS / 1000} s`
      : error instanceof Error
        ? error.message
        : String(error);
    return { ok: false, status: null, error: message.slice(0, EXCERPT_CHARS), excerpt: null };
  }
}

async function loadEvent(db: Db, eventId: string) {
  const [row] = await db
    .select({ event: invitationEvents, webhook: webhooks })
    .from(invitationEvents)
    .leftJoin(
      webhooks,
      and(eq(webhooks.projectId, invitationEvents.projectId), eq(webhooks.mode, invitationEvents.mode)),
    )
    .where(eq(invitationEvents.id, eventId))
    .limit(1);
  return row;
}

/**
 * The secrets that sign a delivery at `now`: the current one, and the one a rotation replaced
 * while its overlap lasts (SECRET_ROTATION_OVERLAP_MS), so a receiver can roll to the new one.
 */
async function liveSecrets(env: Env, webhook: WebhookRow, now: number): Promise<string[]> {
  const current = decryptSecret(env.ENCRYPTION_KEYS, webhook.secretCiphertext, "webhooks.secret_ciphertext");
  const previous =
    webhook.previousSecretCiphertext !== null &&
    webhook.previousSecretExpiresAt !== null &&
    now < webhook.previousSecretExpiresAt
      ? decryptSecret(
          env.ENCRYPTION_KEYS,
          webhook.previousSecretCiphertext,
          "webhooks.previous_secret_ciphertext",
        )
      : null;
  return previous === null ? [await current] : Promise.all([current, previous]);
}

/** One attempt for one message; acks or retries it. */
async function deliver(
  env: Env,
  db: Db,
  settings: WebhookSettings,
  message: Message<WebhookMessage>,
): Promise<void> {
  const { eventId } = message.body;
  const found = await loadEvent(db, eventId);
  // Delivered, dead-lettered, skipped or re-queued by a resend meanwhile: nothing to do.
  if (found?.event.deliveryState !== "queued") return message.ack();
  const { event, webhook } = found;
  if (!webhook?.active || !webhook.events.includes("invitation.status_changed")) {
    // A paused or deleted webhook receives nothing.
    await db
      .update(invitationEvents)
      .set({ deliveryState: "skipped", leaseUntil: null })
      .where(and(eq(invitationEvents.id, eventId), eq(invitationEvents.deliveryState, "queued")));
    return message.ack();
  }

  if (message.attempts > settings.maxAttempts) {
    // Past the last attempt already (the dead-letter send failed last time): no more POSTs.
    await env.WEBHOOK_DLQ.send({ eventId } satisfies WebhookMessage, { contentType: "json" });
    return message.ack();
  }

  const body = JSON.stringify(statusChangedEvent(event));
  const started = Date.now();
  // Checked again at delivery: the rules (or WEBHOOK_ALLOW_LOCAL_URLS) may have changed.
  const refused = webhookUrlProblem(webhook.url, { allowLocal: settings.allowLocalUrls });
  const result: AttemptResult = refused
    ? { ok: false, status: null, error: `URL refused: ${refused}`, excerpt: null }
    : await post(
        webhook.url,
        body,
        await signatureHeader(
          await liveSecrets(env, webhook, started),
          body,
          Math.floor(started / 1000),
          webhook.signatureVersion,
        ),
        eventId,
      );
  const finished = Date.now();

  const lastAttempt = !result.ok && message.attempts >= settings.maxAttempts;
  const outcome: DeliveryOutcome = result.ok ? "delivered" : lastAttempt ? "failed" : "retrying";
  const delay = retryDelaySeconds(settings, message.attempts);
  await db.batch([
    db
      .update(invitationEvents)
      .set({
        deliveryAttempts: sql`${invitationEvents.deliveryAttempts} + 1`,
        deliveryState: result.ok ? "delivered" : "queued",
        // Failed for good: the dead-letter consumer marks it failed; until then the lease
        // makes sure it is not lost on the way there.
        leaseUntil: result.ok ? null : finished + (lastAttempt ? 0 : delay * 1000) + OUTBOX_LEASE_MS,
      })
      .where(eq(invitationEvents.id, eventId)),
    db.insert(webhookDeliveries).values({
      id: randomId("dlv"),
      projectId: event.projectId,
      // The event's mode: a key lists only its own mode's attempts.
      mode: event.mode,
      eventId,
      invitationId: event.invitationId,
      attempt: sql`(SELECT ${invitationEvents.deliveryAttempts} FROM ${invitationEvents} WHERE ${invitationEvents.id} = ${eventId})`,
      outcome,
      responseStatus: result.status,
      durationMs: finished - started,
      error: result.error,
      responseExcerpt: result.excerpt,
      createdAt: finished,
    }),
  ]);
  logEvent(result.ok ? "info" : "warn", "webhook_attempt", {
    eventId,
    projectId: event.projectId,
    mode: event.mode,
    attempt: message.attempts,
    outcome,
    status: result.status,
    durationMs: finished - started,
  });

  if (result.ok) return message.ack();
  if (lastAttempt) {
    await env.WEBHOOK_DLQ.send({ eventId } satisfies WebhookMessage, { contentType: "json" });
    return message.ack();
  }
  message.retry({ delaySeconds: delay });
}

/** Consumer of WEBHOOK_QUEUE: one POST per message, all messages of a batch at once. */
export async function consumeWebhookBatch(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const settings = webhookSettings(env);
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await deliver(env, db, settings, message);
      } catch (error) {
        // Our own failure (D1, decryption), not the receiver's: try again later.
        logEvent("error", "webhook_consumer_failed", {
          eventId: message.body.eventId,
          error: describeError(error),
        });
        message.retry({ delaySeconds: retryDelaySeconds(settings, message.attempts) });
      }
    }),
  );
}

/** Consumer of the dead-letter queue: the event is given up on and marked failed. */
export async function consumeDeadLetters(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    const { eventId } = message.body;
    await db
      .update(invitationEvents)
      .set({ deliveryState: "failed", leaseUntil: null })
      .where(and(eq(invitationEvents.id, eventId), eq(invitationEvents.deliveryState, "queued")));
    logEvent("warn", "webhook_dead_letter", { eventId, queueAttempts: message.attempts });
    message.ack();
  }
}

/** How long a message of an unknown queue waits before it is offered again. */
export const UNKNOWN_QUEUE_RETRY_SECONDS = 300;

/**
 * The queue handler: each batch to the consumer of its queue, told apart by the names this
 * environment declares (src/webhooks/queues.ts). A queue it does not know means the vars and
 * the queues disagree (the deploy check refuses that): its messages are neither POSTed (they
 * may be dead letters, which would then be retried forever) nor marked failed nor acked (they
 * may be live events): logged and retried later, so a fixed deploy still handles them.
 */
export async function consumeWebhookQueue(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const role = webhookQueueRole(batch.queue, env);
  if (role === "dead_letters") return consumeDeadLetters(batch, env);
  if (role === "deliveries") return consumeWebhookBatch(batch, env);
  logEvent("error", "webhook_unknown_queue", {
    queue: batch.queue,
    messages: batch.messages.length,
    expected: [env.WEBHOOK_QUEUE_NAME, env.WEBHOOK_DLQ_NAME],
  });
  batch.retryAll({ delaySeconds: UNKNOWN_QUEUE_RETRY_SECONDS });
}
