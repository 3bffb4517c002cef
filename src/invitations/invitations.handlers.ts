import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { and, eq, exists, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Db } from "../db/client";
import { invitations } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { describeError, logEvent } from "../lib/log";
import { claimOrReplay, claimsItsOwnIdempotencyKey } from "../middleware/idempotency";
import { tenantOf } from "../projects/tenant";
import { paginate } from "./cursor";
import {
  findInvitation,
  findInvitationStatement,
  insertInvitation,
  listInvitations as listInvitationRows,
  newInvitation,
} from "./invitations.repository";
import type * as routes from "./invitations.routes";
import type { Invitation } from "./invitations.schemas";
import { serializeInvitation, serializeWithToken } from "./invitations.serialize";
import { afterTransition, effectiveStatus, isOpen, transitionStatement } from "./lifecycle";
import { maxOpenInvitations } from "./limits";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

function notFound(): ApiError {
  // Also for another project's invitation: its existence is not revealed.
  return new ApiError("not_found", "No invitation with this id");
}

function notCancellable(status: string): ApiError {
  return new ApiError(
    "invalid_state",
    `The invitation is ${status}; only pending, in_progress or failed invitations can be cancelled`,
    { details: { status } },
  );
}

/**
 * The cron persists expiries every 5 minutes, which is the soonest a place frees itself without
 * the partner: the contract's 429 always says when to retry.
 */
const CAP_RETRY_AFTER_SECONDS = 300;

/** The project's mode holds its cap of open invitations. */
function atCapacity(maxOpen: number): ApiError {
  return new ApiError(
    "rate_limited",
    `This project already has ${maxOpen} open invitations in this mode (pending, in_progress or failed); cancel some or let them complete or expire`,
    {
      details: { reason: "open_invitations", limit: maxOpen },
      headers: { "Retry-After": String(CAP_RETRY_AFTER_SECONDS) },
    },
  );
}

/** A JSON body sent as the exact text that was remembered for its Idempotency-Key. */
function jsonText(c: Context<AppEnv>, text: string, status: 200 | 201): Response {
  return c.body(text, status, { "Content-Type": "application/json" });
}

/**
 * One D1 round trip: the row is made in memory and inserted; with an Idempotency-Key, the
 * remembered response goes in the same batch, so a created invitation always has its replay.
 */
export const createInvitation: Handler<typeof routes.createInvitation> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const now = c.get("now")();
  const { db, idempotency } = c.var;
  const { row, token } = await newInvitation(
    config,
    c.get("projectId"),
    c.req.valid("json"),
    now,
    c.get("keyMode"),
  );
  const body = JSON.stringify({ invitation: serializeWithToken(row, token, { ...config, now }) });
  const maxOpen = maxOpenInvitations(c.env);
  if (!idempotency?.claimedAt) {
    if ((await insertInvitation(db, row, { maxOpen })) === "at_capacity") throw atCapacity(maxOpen);
    return jsonText(c, body, 201) as never;
  }
  const settle = await idempotency.settleStatement(
    201,
    body,
    db,
    exists(db.select({ one: sql`1` }).from(invitations).where(eq(invitations.id, row.id))),
  );
  const outcome = await insertInvitation(db, row, {
    maxOpen,
    onlyIf: idempotency.holds(db),
    alsoWith: settle,
  });
  // The middleware records nothing for a 429: the claim is released, a later retry runs anew.
  if (outcome === "at_capacity") throw atCapacity(maxOpen);
  if (outcome === "not_held") {
    // The claim was taken over after its lease (this request ran too long): the other one acts.
    throw new ApiError(
      "idempotency_key_in_progress",
      "A request with this Idempotency-Key is still in progress",
      {
        headers: { "Retry-After": "1" },
      },
    );
  }
  idempotency.settled = true;
  return jsonText(c, body, 201) as never;
};

export const getInvitation: Handler<typeof routes.getInvitation> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const find = (db: Db) => findInvitation(db, tenantOf(c), c.req.valid("param").invitationId);
  // Not on a possibly lagging replica: ask the primary before a 404 (src/db/session.ts).
  const row = (await find(c.get("db"))) ?? (await c.get("database").onPrimaryIfStale(find));
  if (!row) throw notFound();
  return c.json({ invitation: await serializeInvitation(row, { ...config, now: c.get("now")() }) }, 200);
};

/**
 * A row whose token cannot be decrypted (a lost or mistyped ENCRYPTION_KEYS entry) is left out
 * of its page, with an error in the log naming it, rather than failing the whole page; paging
 * continues past it. A GET of that invitation answers 500.
 */
export const listInvitations: Handler<typeof routes.listInvitations> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const query = c.req.valid("query");
  const tenant = tenantOf(c);
  const { projectId } = tenant;
  const now = c.get("now")();
  const { page, nextCursor } = await paginate(
    config.tokenHashKey,
    tenant,
    "invitations",
    query,
    (after, limit) => listInvitationRows(c.get("db"), { ...tenant, status: query.status, after, limit, now }),
  );
  const items: Invitation[] = [];
  for (const [index, result] of (
    await Promise.allSettled(page.map((row) => serializeInvitation(row, { ...config, now })))
  ).entries()) {
    if (result.status === "fulfilled") {
      items.push(result.value);
    } else {
      logEvent("error", "invitation_unreadable", {
        requestId: c.get("requestId"),
        projectId,
        invitationId: page[index]?.id,
        error: describeError(result.reason),
      });
    }
  }
  return c.json({ items, nextCursor }, 200);
};

/**
 * One round trip: the conditional UPDATE and a read of the row in one batch, so a refused
 * cancel knows why without a second read. With an Idempotency-Key: the claim and the read in
 * one round trip, then the UPDATE with its remembered response in a second.
 */
export const cancelInvitation: Handler<typeof routes.cancelInvitation> = claimsItsOwnIdempotencyKey(
  async (c) => {
    const config = readConfig(c.env, c.req.url);
    const { invitationId } = c.req.valid("param");
    const { db, idempotency } = c.var;
    const now = c.get("now")();
    const target = { id: invitationId, ...tenantOf(c) };
    const read = findInvitationStatement(db, target, invitationId);

    if (idempotency) {
      const claimed = await claimOrReplay(c, idempotency, [read]);
      if (claimed instanceof Response) return claimed as never;
      const [before] = claimed.reads[0] as (typeof invitations.$inferSelect)[];
      if (!before) throw notFound();
      const status = effectiveStatus(before, now);
      if (!isOpen(status)) throw notCancellable(status);
      // The response is known before the write: the row as the UPDATE will leave it, provided
      // nothing changed it since the read (`unchangedSince`).
      const after = afterTransition(before, { event: "cancel" }, now);
      const body = JSON.stringify({ invitation: await serializeInvitation(after, { ...config, now }) });
      const settle = await idempotency.settleStatement(
        200,
        body,
        db,
        exists(
          db
            .select({ one: sql`1` })
            .from(invitations)
            .where(
              and(
                eq(invitations.id, invitationId),
                eq(invitations.status, "cancelled"),
                eq(invitations.cancelledAt, now),
                eq(invitations.updatedAt, now),
              ),
            ),
        ),
      );
      const update = transitionStatement(
        db,
        { ...target, unchangedSince: before.updatedAt },
        { event: "cancel" },
        now,
      );
      const [updated] = await db.batch([update, ...settle]);
      if (updated.length > 0) {
        idempotency.settled = true;
        return jsonText(c, body, 200) as never;
      }
      // Changed in between (rare): decide on the current row; the middleware records the answer.
    }

    const [updated, [current]] = await db.batch([
      transitionStatement(db, target, { event: "cancel" }, now),
      read,
    ]);
    const [row] = updated;
    if (row) return c.json({ invitation: await serializeInvitation(row, { ...config, now }) }, 200);
    if (!current) throw notFound();
    throw notCancellable(effectiveStatus(current, now));
  },
);
