import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { and, eq, exists, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { invitations } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { describeError, logEvent } from "../lib/log";
import { answersWithItsWrite, answerWrite, inOneBatch, inProgress } from "../middleware/idempotency";
import { tenantOf } from "../projects/tenant";
import { paginate } from "./cursor";
import {
  findInvitation,
  findInvitationStatement,
  type InsertOutcome,
  insertInvitation,
  listInvitations as listInvitationRows,
  newInvitation,
} from "./invitations.repository";
import type * as routes from "./invitations.routes";
import type { Invitation } from "./invitations.schemas";
import { serializeInvitation, serializeWithToken } from "./invitations.serialize";
import { afterTransition, effectiveStatus, isOpen, transitionStatement } from "./lifecycle";
import { maxOpenInvitations } from "./limits";
import { checkRedirectUrls } from "./return-links";

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

/**
 * One D1 round trip: the row is made in memory and inserted; with an Idempotency-Key, two (the
 * claim, made before the body is validated, then the insert with the remembered response in its
 * batch, so a created invitation always has its replay).
 */
export const createInvitation = answersWithItsWrite<typeof routes.createInvitation>(
  async (c) => {
    const config = readConfig(c.env, c.req.url);
    const now = c.get("now")();
    const { db } = c.var;
    const input = c.req.valid("json");
    checkRedirectUrls(c.env, input);
    const { row, token } = await newInvitation(config, c.get("projectId"), input, now, c.get("keyMode"));
    const body = JSON.stringify({ invitation: serializeWithToken(row, token, { ...config, now }) });
    const maxOpen = maxOpenInvitations(c.env);
    return answerWrite<InsertOutcome>(c, {
      predict: () => ({
        results: "inserted",
        onlyIf: exists(db.select({ one: sql`1` }).from(invitations).where(eq(invitations.id, row.id))),
      }),
      write: async (alongside, claim) => {
        // With a key, only while the claim is this request's: one taken over after its lease acts.
        const { outcome, alsoWith } = await insertInvitation(db, row, {
          maxOpen,
          onlyIf: claim?.holds,
          alsoWith: alongside,
        });
        return { results: outcome, alongside: alsoWith };
      },
      decide: async (outcome) => {
        // A 429 is not remembered: the claim is released, a later retry runs anew.
        if (outcome === "at_capacity") throw atCapacity(maxOpen);
        if (outcome === "not_held") throw inProgress();
        return { status: 201, body };
      },
    });
  },
  { claimFirst: true },
);

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
 * one round trip, then the UPDATE (if the row is as read) with its remembered response in a
 * second.
 */
export const cancelInvitation = answersWithItsWrite<typeof routes.cancelInvitation>(async (c) => {
  const config = readConfig(c.env, c.req.url);
  const { invitationId } = c.req.valid("param");
  const { db } = c.var;
  const now = c.get("now")();
  const target = { id: invitationId, ...tenantOf(c) };
  const read = findInvitationStatement(db, target, invitationId);
  type Row = typeof invitations.$inferSelect;
  const cancel = (unchangedSince?: number) =>
    transitionStatement(db, { ...target, unchangedSince }, { event: "cancel" }, now);
  const answer = async (row: Row) => ({
    status: 200 as const,
    body: JSON.stringify({ invitation: await serializeInvitation(row, { ...config, now }) }),
  });
  return answerWrite<[Row[], Row[]]>(c, {
    reads: [read],
    predict: ([rows]) => {
      const [before] = (rows ?? []) as Row[];
      if (!before) throw notFound();
      const status = effectiveStatus(before, now);
      if (!isOpen(status)) throw notCancellable(status);
      // The row as the UPDATE will leave it, provided nothing changed it since the read.
      const after = afterTransition(before, { event: "cancel" }, now);
      return {
        results: [[after], [after]],
        onlyIf: exists(
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
      };
    },
    write: async (alongside, claim) => {
      const [before] = (claim?.reads[0] ?? []) as Row[];
      return inOneBatch<[Row[], Row[]]>(db, [cancel(before?.updatedAt), read])(alongside);
    },
    decide: async ([[row], [current]]) => {
      if (row) return answer(row);
      if (!current) throw notFound();
      const status = effectiveStatus(current, now);
      if (!isOpen(status)) throw notCancellable(status);
      // Changed since the claim's read but still open (rare): cancel it as it is now.
      const [[again], [latest]] = await db.batch([cancel(), read]);
      if (again) return answer(again);
      if (!latest) throw notFound();
      throw notCancellable(effectiveStatus(latest, now));
    },
  });
});
