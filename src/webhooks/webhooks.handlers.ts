import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { WebhookRow } from "../db/schema";
import { decodeCursor, encodeCursor } from "../invitations/cursor";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { webhookSettings } from "./settings";
import { webhookUrlProblem } from "./url-policy";
import * as repository from "./webhooks.repository";
import type * as routes from "./webhooks.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const DEFAULT_PAGE_SIZE = 50;

const noWebhook = () => new ApiError("not_found", "This project has no webhook; create one with POST");

const serialize = (row: WebhookRow) => ({ url: row.url, events: row.events, active: row.active });

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

export const createWebhook: Handler<typeof routes.createWebhook> = async (c) => {
  const input = c.req.valid("json");
  checkUrl(c.env, input.url);
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const { row, secret, created } = await repository.upsertWebhook(
    c.var.db,
    encryptionKeys,
    c.var.projectId,
    input,
    c.var.now(),
  );
  const body = { webhook: { ...serialize(row), secret } };
  return created ? c.json(body, 201) : c.json(body, 200);
};

export const getWebhook: Handler<typeof routes.getWebhook> = async (c) => {
  const row = await repository.findWebhook(c.var.db, c.var.projectId);
  return c.json({ webhook: row ? serialize(row) : null }, 200);
};

export const updateWebhook: Handler<typeof routes.updateWebhook> = async (c) => {
  const changes = c.req.valid("json");
  checkUrl(c.env, changes.url);
  const row = await repository.updateWebhook(c.var.db, c.var.projectId, changes, c.var.now());
  if (!row) throw noWebhook();
  return c.json({ webhook: serialize(row) }, 200);
};

export const deleteWebhook: Handler<typeof routes.deleteWebhook> = async (c) => {
  await repository.deleteWebhook(c.var.db, c.var.projectId);
  return c.json({ webhook: null }, 200);
};

export const rotateWebhookSecret: Handler<typeof routes.rotateWebhookSecret> = async (c) => {
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const rotated = await repository.rotateWebhookSecret(
    c.var.db,
    encryptionKeys,
    c.var.projectId,
    c.var.now(),
  );
  if (!rotated) throw noWebhook();
  return c.json({ webhook: { ...serialize(rotated.row), secret: rotated.secret } }, 200);
};

export const listWebhookDeliveries: Handler<typeof routes.listWebhookDeliveries> = async (c) => {
  const { tokenHashKey } = readConfig(c.env, c.req.url);
  const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid("query");
  const projectId = c.var.projectId;
  const after = cursor === undefined ? undefined : await decodeCursor(tokenHashKey, projectId, cursor);
  const rows = await repository.listDeliveries(c.var.db, projectId, after, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? await encodeCursor(tokenHashKey, projectId, { createdAt: last.createdAt, id: last.id })
      : null;
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

export const resendWebhookEvent: Handler<typeof routes.resendWebhookEvent> = async (c) => {
  const { eventId } = c.req.valid("param");
  const projectId = c.var.projectId;
  const found = await repository.findEventForResend(c.var.db, projectId, eventId);
  // Another project's event too: its existence is not revealed.
  if (!found) throw new ApiError("not_found", "No event with this id");
  if (found.webhookActive !== true) {
    throw new ApiError("invalid_state", "The webhook is missing or paused; nothing would be delivered");
  }
  if (!(await repository.requeueEvent(c.var.db, projectId, eventId))) {
    throw new ApiError("not_found", "No event with this id");
  }
  return c.json({ eventId, status: "queued" as const }, 202);
};
