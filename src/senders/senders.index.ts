import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "../invitations/cursor";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { createRouter } from "../lib/openapi";
import { tenantOf } from "../projects/tenant";
import { findSender, listSendersQuery } from "./senders.repository";
import * as routes from "./senders.routes";
import { serializeSender } from "./senders.schemas";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const DEFAULT_PAGE_SIZE = 50;

const getSender: Handler<typeof routes.getSender> = async (c) => {
  const row = await findSender(c.get("db"), tenantOf(c), c.req.valid("param").senderId);
  // Also for another project's sender: its existence is not revealed.
  if (!row) throw new ApiError("not_found", "No sender with this id");
  return c.json(serializeSender(row), 200);
};

const listSenders: Handler<typeof routes.listSenders> = async (c) => {
  const { tokenHashKey } = readConfig(c.env, c.req.url);
  const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid("query");
  const tenant = tenantOf(c);
  const after =
    cursor === undefined ? undefined : await decodeCursor(tokenHashKey, tenant, cursor, "senders");
  const rows = await listSendersQuery(c.get("db"), { ...tenant, after, limit });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? await encodeCursor(tokenHashKey, tenant, { createdAt: last.createdAt, id: last.id }, "senders")
      : null;
  return c.json({ items: page.map(serializeSender), nextCursor }, 200);
};

export const sendersRouter = createRouter()
  .openapi(routes.listSenders, listSenders)
  .openapi(routes.getSender, getSender);
