import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { WebhookRow } from "../db/schema";
import { paginate } from "../invitations/cursor";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { answersWithItsWrite, answerWrite, inOneBatch } from "../middleware/idempotency";
import { tenantOf } from "../projects/tenant";
import { webhookSettings } from "./settings";
import { generateWebhookSecret } from "./signature";
import { webhookUrlProblem } from "./url-policy";
import * as repository from "./webhooks.repository";
import type * as routes from "./webhooks.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const noWebhook = () => new ApiError("not_found", "This project has no webhook; create one with POST");

const serialize = (row: WebhookRow) => ({
  url: row.url,
  events: row.events,
  active: row.active,
  signatureVersion: row.signatureVersion,
});

/** The answer that shows the secret: the exact text sent, and remembered for an Idempotency-Key. */
const withSecret = (row: WebhookRow, secret: string) =>
  JSON.stringify({ webhook: { ...serialize(row), secret } });

/** A new signing secret, and the sealed form its row keeps. */
async function newSecret(encryptionKeys: string) {
  const secret = generateWebhookSecret();
  return { secret, sealed: await encryptSecret(encryptionKeys, secret, "webhooks.secret_ciphertext") };
}

/** The URL rules need the environment (WEBHOOK_ALLOW_LOCAL_URLS), so they run after zod. */
function checkUrl(env: Env, url: string | undefined): void {
  if (url === undefined) return;
  const problem = webhookUrlProblem(url, { allowLocal: webhookSettings(env).allowLocalUrls });
  if (problem) {
    throw new ApiError("invalid_request", "The request is invalid; see details.fields.", {
      details: { fields: { url: problem } },
    });
  }
}

/**
 * Without a key, one round trip: the upsert, whose row says whether it created (it holds the
 * new sealed secret) or replaced (it kept its secret). With one, two: the claim with a read of
 * the webhook, then the upsert with the answer predicted from that read.
 */
export const createWebhook = answersWithItsWrite<typeof routes.createWebhook>(async (c) => {
  const input = c.req.valid("json");
  checkUrl(c.env, input.url);
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const { db } = c.var;
  const owner = tenantOf(c);
  const now = c.get("now")();
  const { secret, sealed } = await newSecret(encryptionKeys);
  return answerWrite<[WebhookRow[]]>(c, {
    write: inOneBatch(db, [repository.upsertWebhook(db, owner, input, sealed, now)]),
    decide: async ([[row]]: [WebhookRow[]]) => {
      if (!row) throw new Error("upsert returned no row");
      const created = row.secretCiphertext === sealed;
      const shown = created
        ? secret
        : await decryptSecret(encryptionKeys, row.secretCiphertext, "webhooks.secret_ciphertext");
      return { status: created ? 201 : 200, body: withSecret(row, shown) };
    },
    reads: [repository.findWebhook(db, owner)],
    predict: ([rows]) => {
      // The row as the upsert leaves it: the existing secret kept, or the new one.
      const [existing] = rows as WebhookRow[];
      const { signatureVersion, ...fields } = input;
      const row: WebhookRow = {
        ...(existing ?? {
          ...owner,
          secretCiphertext: sealed,
          previousSecretCiphertext: null,
          previousSecretExpiresAt: null,
          signatureVersion: "v2",
          createdAt: now,
        }),
        ...fields,
        ...(signatureVersion ? { signatureVersion } : {}),
        active: true,
        updatedAt: now,
      };
      return { results: [[row]] as [WebhookRow[]], onlyIf: repository.webhookIs(db, row) };
    },
  });
});

export const getWebhook: Handler<typeof routes.getWebhook> = async (c) => {
  const [row] = await repository.findWebhook(c.get("db"), tenantOf(c));
  return c.json({ webhook: row ? serialize(row) : null }, 200);
};

export const updateWebhook: Handler<typeof routes.updateWebhook> = async (c) => {
  const changes = c.req.valid("json");
  checkUrl(c.env, changes.url);
  const row = await repository.updateWebhook(c.get("db"), tenantOf(c), changes, c.get("now")());
  if (!row) throw noWebhook();
  return c.json({ webhook: serialize(row) }, 200);
};

export const deleteWebhook: Handler<typeof routes.deleteWebhook> = async (c) => {
  await repository.deleteWebhook(c.get("db"), tenantOf(c));
  return c.json({ webhook: null }, 200);
};

/** One round trip; with a key, two (the claim with a read of the webhook, then the UPDATE). */
export const rotateWebhookSecret = answersWithItsWrite<typeof routes.rotateWebhookSecret>(async (c) => {
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const { db } = c.var;
  const owner = tenantOf(c);
  const now = c.get("now")();
  const { secret, sealed } = await newSecret(encryptionKeys);
  return answerWrite<[WebhookRow[]]>(c, {
    write: inOneBatch(db, [repository.rotateWebhookSecret(db, owner, sealed, now)]),
    decide: async ([[row]]: [WebhookRow[]]) => {
      if (!row) throw noWebhook();
      return { status: 200, body: withSecret(row, secret) };
    },
    reads: [repository.findWebhook(db, owner)],
    predict: ([rows]) => {
      const [existing] = rows as WebhookRow[];
      if (!existing) throw noWebhook();
      const row: WebhookRow = {
        ...existing,
        ...repository.rotatedSecret(sealed, now, existing.secretCiphertext),
      };
      return { results: [[row]] as [WebhookRow[]], onlyIf: repository.webhookIs(db, row) };
    },
  });
});

export const listWebhookDeliveries: Handler<typeof routes.listWebhookDeliveries> = async (c) => {
  const { tokenHashKey } = readConfig(c.env, c.req.url);
  const tenant = tenantOf(c);
  const { page, nextCursor } = await paginate(
    tokenHashKey,
    tenant,
    "deliveries",
    c.req.valid("query"),
    (after, limit) => repository.listDeliveries(c.get("db"), tenant, after, limit),
  );
  const items = page.map((row) => ({
    id: row.id,
    eventId: row.eventId,
    invitationId: row.invitationId,
    attempt: row.attempt,
    outcome: row.outcome,
    responseStatus: row.responseStatus,
    durationMs: row.durationMs,
    error: row.error,
    responseExcerpt: row.responseExcerpt,
    createdAt: new Date(row.createdAt).toISOString(),
  }));
  return c.json({ items, nextCursor }, 200);
};

type Requeued = { id: string }[];
type ResendResults = [repository.ResendCheck[], Requeued, Requeued];

/**
 * One round trip: a read of the event (an invitation's or a sender's) and its webhook, and the
 * requeue (which applies only when the webhook is active and lists the event's type) in one
 * batch, so a refused resend knows why without a second read. With a key, two: the claim with
 * the read, then both again with the remembered answer.
 */

export const resendWebhookEvent = answersWithItsWrite<typeof routes.resendWebhookEvent>(async (c) => {
  const { eventId } = c.req.valid("param");
  const { db } = c.var;
  const owner = tenantOf(c);
  const check = repository.findEventForResend(db, owner, eventId);
  return answerWrite<ResendResults>(c, {
    write: inOneBatch(db, [check, ...repository.requeueEvent(db, owner, eventId)]),
    decide: async ([[found], ...requeued]: ResendResults) => {
      if (requeued.some((rows) => rows.length > 0)) {
        return { status: 202, body: JSON.stringify({ eventId, status: "queued" }) };
      }
      // Another project's event too: its existence is not revealed.
      if (!found) throw new ApiError("not_found", "No event with this id");
      if (!found.webhookActive) {
        throw new ApiError("invalid_state", "The webhook is missing or paused; nothing would be delivered");
      }
      throw new ApiError(
        "invalid_state",
        `The webhook does not list ${found.type} in its events; add it to receive this event`,
      );
    },
    reads: [check],
    predict: ([rows]) => {
      const found = rows as repository.ResendCheck[];
      const requeued = found[0]?.webhookActive && found[0].subscribed ? [{ id: eventId }] : [];
      const results: ResendResults = [found, requeued, []];
      return { results, onlyIf: repository.requeueApplies(db, owner, eventId) };
    },
  });
});
