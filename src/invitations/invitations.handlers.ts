import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Db } from "../db/client";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { decodeCursor, encodeCursor } from "./cursor";
import { findInvitation, insertInvitation, listInvitationsQuery } from "./invitations.repository";
import type * as routes from "./invitations.routes";
import { serializeInvitation } from "./invitations.serialize";
import { effectiveStatus, transition } from "./lifecycle";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const DEFAULT_PAGE_SIZE = 50;

function notFound(): ApiError {
  // Also for another project's invitation: its existence is not revealed.
  return new ApiError("not_found", "No invitation with this id");
}

export const createInvitation: Handler<typeof routes.createInvitation> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const now = c.var.now();
  const row = await insertInvitation(
    c.var.db,
    config,
    c.var.projectId,
    c.req.valid("json"),
    now,
    c.var.keyMode,
  );
  const invitation = await serializeInvitation(row, { ...config, now });
  return c.json({ invitation }, 201);
};

export const getInvitation: Handler<typeof routes.getInvitation> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const find = (db: Db) => findInvitation(db, c.var.projectId, c.req.valid("param").invitationId);
  // Not on a possibly lagging replica: ask the primary before a 404 (src/db/session.ts).
  const row = (await find(c.var.db)) ?? (await c.var.database.onPrimaryIfStale(find));
  if (!row) throw notFound();
  return c.json({ invitation: await serializeInvitation(row, { ...config, now: c.var.now() }) }, 200);
};

export const listInvitations: Handler<typeof routes.listInvitations> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const { status, limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid("query");
  const projectId = c.var.projectId;
  const now = c.var.now();
  const after = cursor === undefined ? undefined : await decodeCursor(config.tokenHashKey, projectId, cursor);
  const rows = await listInvitationsQuery(c.var.db, { projectId, status, after, limit, now });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? await encodeCursor(config.tokenHashKey, projectId, { createdAt: last.createdAt, id: last.id })
      : null;
  const items = await Promise.all(page.map((row) => serializeInvitation(row, { ...config, now })));
  return c.json({ items, nextCursor }, 200);
};

export const cancelInvitation: Handler<typeof routes.cancelInvitation> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const { invitationId } = c.req.valid("param");
  const projectId = c.var.projectId;
  const now = c.var.now();
  const row = await transition(c.var.db, { id: invitationId, projectId }, { event: "cancel" }, now);
  if (row) return c.json({ invitation: await serializeInvitation(row, { ...config, now }) }, 200);

  const current = await findInvitation(c.var.db, projectId, invitationId);
  if (!current) throw notFound();
  const status = effectiveStatus(current, now);
  throw new ApiError(
    "invalid_state",
    `The invitation is ${status}; only pending, in_progress or failed invitations can be cancelled`,
    { details: { status } },
  );
};
