import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { ATTEMPT_LAUNCHES, type OnboardingAttemptRow, onboardingAttempts } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { errorResponses, jsonResponse, pageQuery } from "../lib/openapi";
import { DEVICE_CLASSES } from "../lib/user-agent";
import { type Tenant, tenantOf } from "../projects/tenant";
import { invalidCursor, paginate } from "./cursor";
import { findInvitationStatement } from "./invitations.repository";
import { FAILURE_REASON_DESCRIPTION } from "./invitations.schemas";

// GET /v1/invitations/{invitationId}/attempts: what happened inside each try of the link.

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const AttemptSchema = z
  .object({
    startedAt: z.iso.datetime().openapi({ description: "When the client pressed connect (`start`)." }),
    endedAt: z.iso
      .datetime()
      .nullable()
      .openapi({ description: "When its outcome was recorded; null while running." }),
    launch: z.enum(ATTEMPT_LAUNCHES).openapi({
      description: "How the client was sent to Meta: Embedded Signup's `popup`, or a full-page `redirect`.",
    }),
    deviceClass: z.enum(DEVICE_CLASSES).nullable().openapi({
      description:
        "`desktop`, `mobile` or `in_app_browser`, from the User-Agent at start (which is not kept).",
    }),
    outcome: z.enum(["in_progress", "completed", "failed"]),
    failureReason: z
      .string()
      .nullable()
      .openapi({
        description: `Why a \`failed\` attempt failed; null otherwise, and for an attempt that ended because the invitation was cancelled or expired meanwhile. ${FAILURE_REASON_DESCRIPTION.replace(/^[^\n]*\n/, "One of:\n")}`,
      }),
    abandonedAtStep: z.string().nullable().openapi({
      description:
        "The `current_step` of Meta's CANCEL message when the client closed Meta's dialog (`fb_cancelled`).",
      example: "PHONE_NUMBER_SETUP",
    }),
    metaErrorCode: z.string().nullable().openapi({
      description: "The error code Meta's dialog reported, when it reported an error.",
    }),
    metaSessionId: z.string().nullable().openapi({
      description: "The session id Meta's dialog reported with an error (quote it to Meta's support).",
    }),
  })
  .openapi("InvitationAttempt");

export type Attempt = z.infer<typeof AttemptSchema>;

export const AttemptListSchema = z
  .object({
    items: z.array(AttemptSchema),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` to get the next page; null on the last page.",
    }),
  })
  .openapi("InvitationAttemptList");

export const listAttemptsRoute = createRoute({
  method: "get",
  path: "/v1/invitations/{invitationId}/attempts",
  operationId: "listInvitationAttempts",
  summary: "List an invitation's attempts",
  description:
    "The client's tries of this invitation's link, newest first, a page at a time (cursor pagination; a cursor is valid only for the invitation it was issued for). Never an IP address, a user agent, a token or a code. Attempts that ended are kept for RETENTION_DAYS (30 by default).",
  tags: ["Invitations"],
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({
      invitationId: z
        .string()
        .openapi({ param: { name: "invitationId", in: "path" }, example: "inv_abc123" }),
    }),
    query: z.object(pageQuery),
  },
  responses: {
    200: jsonResponse(AttemptListSchema, "The invitation's attempts."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});

export function serializeAttempt(row: OnboardingAttemptRow): Attempt {
  return {
    startedAt: new Date(row.startedAt).toISOString(),
    endedAt: row.outcome === null ? null : iso(row.endedAt ?? row.updatedAt),
    launch: row.launch,
    deviceClass: row.deviceClass,
    outcome: row.outcome ?? "in_progress",
    failureReason: row.outcome === "failed" ? row.failureReason : null,
    abandonedAtStep: row.abandonedStep,
    metaErrorCode: row.metaErrorCode,
    metaSessionId: row.metaSessionId,
  };
}

/**
 * One round trip: the invitation's existence in this tenant and a page of its attempts (the
 * primary key's (invitation_id, started_at) order), `limit + 1` rows.
 */
async function attemptsPage(
  db: Db,
  tenant: Tenant,
  invitationId: string,
  after: number | undefined,
  limit: number,
) {
  const [found, rows] = await db.batch([
    findInvitationStatement(db, tenant, invitationId),
    db
      .select()
      .from(onboardingAttempts)
      .where(
        and(
          eq(onboardingAttempts.invitationId, invitationId),
          after === undefined ? undefined : lt(onboardingAttempts.startedAt, after),
        ),
      )
      .orderBy(desc(onboardingAttempts.startedAt))
      .limit(limit + 1),
  ]);
  return found.length === 0 ? null : rows;
}

export const listAttempts: RouteHandler<typeof listAttemptsRoute, AppEnv> = async (c) => {
  const config = readConfig(c.env, c.req.url);
  const { invitationId } = c.req.valid("param");
  const query = c.req.valid("query");
  const tenant = tenantOf(c);
  const { page, nextCursor } = await paginate(
    config.tokenHashKey,
    tenant,
    "attempts",
    query,
    async (after, limit) => {
      // The position's id is the invitation's: another invitation's cursor is refused.
      if (after !== undefined && after.id !== invitationId) throw invalidCursor();
      const read = (db: Db) => attemptsPage(db, tenant, invitationId, after?.createdAt, limit);
      // Not on a possibly lagging replica: ask the primary before a 404 (src/db/session.ts).
      const rows = (await read(c.get("db"))) ?? (await c.get("database").onPrimaryIfStale(read)) ?? null;
      if (rows === null) throw new ApiError("not_found", "No invitation with this id");
      return rows.map((row) => ({ row, createdAt: row.startedAt, id: invitationId }));
    },
  );
  return c.json({ items: page.map(({ row }) => serializeAttempt(row)), nextCursor }, 200);
};
