import { and, eq, sql } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import {
  type DeliveryOutcome,
  type DeliveryState,
  invitationEvents,
  senderEvents,
  type WebhookEventType,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import { decryptSecret, randomId } from "../lib/crypto";
import { describeError, logEvent } from "../lib/log";
import { applyMetaChangeMessage, consumeMetaChangeDeadLetter } from "../meta-webhooks/apply";
import { senderStatusChangedEvent, statusChangedEvent } from "./event";
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

/** An outboxed event, from either outbox: what a delivery needs of it. */
interface Outboxed {
  kind: "invitation" | "sender";
  type: WebhookEventType;
  projectId: string;
  mode: "live" | "test";
  invitationId: string;
  deliveryState: DeliveryState | null;
  body: unknown;
  webhook: WebhookRow | null;
}

async function loadEvent(db: Db, eventId: string): Promise<Outboxed | undefined> {
  const [row] = await db
    .select({ event: invitationEvents, webhook: webhooks })
    .from(invitationEvents)
    .leftJoin(
      webhooks,
      and(eq(webhooks.projectId, invitationEvents.projectId), eq(webhooks.mode, invitationEvents.mode)),
    )
    .where(eq(invitationEvents.id, eventId))
    .limit(1);
  if (row) {
    return {
      kind: "invitation",
      type: "invitation.status_changed",
      projectId: row.event.projectId,
      mode: row.event.mode,
      invitationId: row.event.invitationId,
      deliveryState: row.event.deliveryState,
      body: statusChangedEvent(row.event),
      webhook: row.webhook,
    };
  }
  const [sender] = await db
    .select({ event: senderEvents, webhook: webhooks })
    .from(senderEvents)
    .leftJoin(
      webhooks,
      and(eq(webhooks.projectId, senderEvents.projectId), eq(webhooks.mode, senderEvents.mode)),
    )
    .where(eq(senderEvents.id, eventId))
    .limit(1);
  if (!sender) return undefined;
  return {
    kind: "sender",
    type: "sender.status_changed",
    projectId: sender.event.projectId,
    mode: sender.event.mode,
    invitationId: sender.event.invitationId,
    deliveryState: sender.event.deliveryState,
    body: senderStatusChangedEvent(sender.event),
    webhook: sender.webhook,
  };
}

/** Sets the event's outbox columns, only while it is still `queued` when `onlyQueued`. */
function setDelivery(
  db: Db,
  kind: Outboxed["kind"],
  eventId: string,
  values: { deliveryState?: DeliveryState; leaseUntil: number | null; countAttempt?: boolean },
  onlyQueued: boolean,
) {
  const table = kind === "invitation" ? invitationEvents : senderEvents;
  const set = {
    ...(values.deliveryState ? { deliveryState: values.deliveryState } : {}),
    leaseUntil: values.leaseUntil,
    ...(values.countAttempt ? { deliveryAttempts: sql`${table.deliveryAttempts} + 1` } : {}),
  };
  const where = onlyQueued
    ? and(eq(table.id, eventId), eq(table.deliveryState, "queued"))
    : eq(table.id, eventId);
  return db.update(table).set(set).where(where);
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
  if (eventId === undefined) return message.ack();
  const event = await loadEvent(db, eventId);
  // Delivered, dead-lettered, skipped or re-queued by a resend meanwhile: nothing to do.
  if (event?.deliveryState !== "queued") return message.ack();
  const { webhook } = event;
  if (!webhook?.active || !webhook.events.includes(event.type)) {
    // A paused or deleted webhook (or one no longer subscribed to the type) receives nothing.
    await setDelivery(db, event.kind, eventId, { deliveryState: "skipped", leaseUntil: null }, true);
    return message.ack();
  }

  if (message.attempts > settings.maxAttempts) {
    // Past the last attempt already (the dead-letter send failed last time): no more POSTs.
    await env.WEBHOOK_DLQ.send({ eventId } satisfies WebhookMessage, { contentType: "json" });
    return message.ack();
  }

  const body = JSON.stringify(event.body);
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
  const attemptsColumn = event.kind === "invitation" ? invitationEvents : senderEvents;
  await db.batch([
    setDelivery(
      db,
      event.kind,
      eventId,
      {
        countAttempt: true,
        deliveryState: result.ok ? "delivered" : "queued",
        // Failed for good: the dead-letter consumer marks it failed; until then the lease
        // makes sure it is not lost on the way there.
        leaseUntil: result.ok ? null : finished + (lastAttempt ? 0 : delay * 1000) + OUTBOX_LEASE_MS,
      },
      false,
    ),
    db.insert(webhookDeliveries).values({
      id: randomId("dlv"),
      projectId: event.projectId,
      // The event's mode: a key lists only its own mode's attempts.
      mode: event.mode,
      eventId,
      invitationId: event.invitationId,
      attempt: sql`(SELECT ${attemptsColumn.deliveryAttempts} FROM ${attemptsColumn} WHERE ${attemptsColumn.id} = ${eventId})`,
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
        if (message.body.metaChangeId !== undefined) return await applyMetaChangeMessage(env, db, message);
        await deliver(env, db, settings, message);
      } catch (error) {
        // Our own failure (D1, decryption), not the receiver's: try again later.
        logEvent("error", "webhook_consumer_failed", {
          eventId: message.body.eventId ?? null,
          metaChangeId: message.body.metaChangeId ?? null,
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
    if (eventId === undefined) {
      await consumeMetaChangeDeadLetter(db, message);
      continue;
    }
    for (const kind of ["invitation", "sender"] as const)
      await setDelivery(db, kind, eventId, { deliveryState: "failed", leaseUntil: null }, true);
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
