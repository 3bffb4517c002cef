import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { and, eq, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  CONNECTION_TYPES,
  type ConnectionType,
  INVITATION_STATUSES,
  type InvitationStatus,
  invitationStats,
  invitations,
  type KeyMode,
  OPEN_STATUSES,
} from "../db/schema";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { errorResponses, jsonResponse } from "../lib/openapi";
import { tenantOf } from "../projects/tenant";

// GET /v1/invitations/stats: the funnel of the invitations created in a window, read from the
// rollup the triggers of drizzle/0010 keep (invitation_stats), in one D1 round trip.

export const DAY_MS = 86_400_000;
/** The rollup's coarse period: aligned blocks of this many days (the fine one is a day). */
export const BLOCK_DAYS = 16;
export const MAX_WINDOW_DAYS = 366;
export const DEFAULT_WINDOW_DAYS = 30;
/** Buckets of the duration histograms: bucket 0 is [0, 1 s), then bounds sqrt(2) apart. */
export const DURATION_BUCKETS = 46;

/** Lower bound (ms) of a histogram bucket, as the stats_duration_buckets table holds it. */
export function bucketLowerMs(bucket: number): number {
  return bucket === 0 ? 0 : Math.round(1000 * 2 ** ((bucket - 1) / 2));
}

const instant = () =>
  z.iso
    .datetime({ offset: true, error: "Must be an ISO 8601 instant, e.g. 2026-01-01T00:00:00Z" })
    .optional();

const counts = (description: string) => z.record(z.string(), z.number().int()).openapi({ description });

export const InvitationStatsSchema = z
  .object({
    from: z.iso.datetime().openapi({
      description: "Start of the window counted (inclusive): `from` rounded down to 00:00 UTC.",
    }),
    to: z.iso.datetime().openapi({
      description: "End of the window counted (exclusive): `to` rounded up to 00:00 UTC.",
    }),
    created: z.number().int().openapi({ description: "Invitations created in the window." }),
    viewed: z.number().int().openapi({ description: "Of those, opened by the client (`viewedAt` set)." }),
    started: z.number().int().openapi({ description: "Of those, started at least once (`startedAt` set)." }),
    byStatus: z
      .object(
        Object.fromEntries(INVITATION_STATUSES.map((s) => [s, z.number().int()])) as Record<
          InvitationStatus,
          z.ZodNumber
        >,
      )
      .openapi({ description: "Their current statuses, an open invitation past `expiresAt` as `expired`." }),
    failureReasons: counts("Their failed attempts, by `failureReason`."),
    abandonedAtStep: counts(
      "Their attempts the client cancelled in Meta's dialog, by Meta's `current_step`.",
    ),
    completionRate: z.number().openapi({ description: "`byStatus.completed / created`; 0 when none." }),
    medianSecondsToView: z.number().nullable().openapi({
      description:
        "Median time from creation to first view, estimated from a histogram (within a factor of sqrt(2), see docs/api.md); null when none was viewed.",
    }),
    medianSecondsToComplete: z.number().nullable().openapi({
      description:
        "Median time from creation to completion, estimated the same way; null when none completed.",
    }),
  })
  .openapi("InvitationStats");

export type InvitationStats = z.infer<typeof InvitationStatsSchema>;

export const statsRoute = createRoute({
  method: "get",
  path: "/v1/invitations/stats",
  operationId: "getInvitationStats",
  summary: "Invitation funnel",
  description:
    "The funnel of the invitations created in `[from, to)` in this project and mode: how many were created, viewed and started, their current statuses, their failed attempts by reason, where clients cancelled Meta's dialog, the completion rate and median times. `from` and `to` are ISO 8601 instants (default: the last 30 days; at most 366 days apart); the window counted is whole UTC days, `from` rounded down and `to` rounded up, and the answer says which.",
  tags: ["Invitations"],
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      from: instant().openapi({ description: "Start (inclusive). Default: `to` minus 30 days." }),
      to: instant().openapi({ description: "End (exclusive). Default: now." }),
      connectionType: z.enum(CONNECTION_TYPES).optional().openapi({ description: "Only this channel." }),
    }),
  },
  responses: {
    200: jsonResponse(InvitationStatsSchema, "The funnel."),
    400: errorResponses[400],
    401: errorResponses[401],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});

function windowError(field: "from" | "to", message: string): ApiError {
  return new ApiError("invalid_request", message, { details: { fields: { [field]: message } } });
}

/** The window asked for, validated, and the whole UTC days [fromDay, toDay) counted. */
export function statsWindow(query: { from?: string; to?: string }, now: number) {
  const to = query.to === undefined ? now : Date.parse(query.to);
  const from = query.from === undefined ? to - DEFAULT_WINDOW_DAYS * DAY_MS : Date.parse(query.from);
  if (!(from < to)) throw windowError("from", "from must be before to");
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw windowError("from", `The window is at most ${MAX_WINDOW_DAYS} days`);
  }
  const fromDay = Math.floor(from / DAY_MS);
  const toDay = Math.ceil(to / DAY_MS);
  return { fromDay, toDay };
}

/** The rollup rows that cover [fromDay, toDay): whole 16-day blocks inside, single days at the edges. */
export function periodRanges(fromDay: number, toDay: number) {
  const firstBlock = Math.ceil(fromDay / BLOCK_DAYS) * BLOCK_DAYS;
  const endBlock = Math.floor(toDay / BLOCK_DAYS) * BLOCK_DAYS;
  if (firstBlock >= endBlock) return [{ period: 1, from: fromDay, to: toDay }];
  return [
    { period: 1, from: fromDay, to: firstBlock },
    { period: BLOCK_DAYS, from: firstBlock, to: endBlock },
    { period: 1, from: endBlock, to: toDay },
  ].filter((r) => r.from < r.to);
}

interface StatsQuery {
  projectId: string;
  mode: KeyMode;
  fromDay: number;
  toDay: number;
  connectionType?: ConnectionType;
  now: number;
}

/**
 * The reads of the funnel, for one `db.batch` (one round trip): one range seek of the rollup's
 * primary key per period range (SQLite would answer an OR of the ranges by scanning all the
 * project's rows), then the unswept expiries.
 */
export function statsStatements(db: Db, q: StatsQuery) {
  const s = invitationStats;
  const rollups = periodRanges(q.fromDay, q.toDay).map((r) =>
    db
      .select()
      .from(s)
      .where(
        and(
          eq(s.projectId, q.projectId),
          eq(s.mode, q.mode),
          eq(s.periodDays, r.period),
          gte(s.startDay, r.from),
          lt(s.startDay, r.to),
          q.connectionType === undefined ? undefined : eq(s.connectionType, q.connectionType),
        ),
      ),
  );
  // The rollup counts stored statuses; open invitations past expiresAt that the sweep has not
  // persisted yet read as expired, as everywhere. They are found on the sweep's own index
  // (status, expires_at): normally the few minutes of expiries since the last sweep, of every
  // project; more while the sweep is behind (docs/scaling.md).
  const i = invitations;
  const overdue = db
    .select({ status: sql<InvitationStatus>`${i.status}`, n: sql<number>`count(*)` })
    .from(sql`${i} INDEXED BY invitations_status_expires_idx`)
    .where(
      and(
        inArray(i.status, [...OPEN_STATUSES]),
        lte(i.expiresAt, q.now),
        // An invitation expires after its creation: those created in the window expired after
        // its start, which bounds the seek to the expiries since then.
        gte(i.expiresAt, q.fromDay * DAY_MS),
        eq(i.projectId, q.projectId),
        eq(i.mode, q.mode),
        gte(i.createdAt, q.fromDay * DAY_MS),
        lt(i.createdAt, q.toDay * DAY_MS),
        q.connectionType === undefined ? undefined : eq(i.connectionType, q.connectionType),
      ) as SQL,
    )
    .groupBy(sql`${i.status}`);
  return { rollups, overdue };
}

type Counts = Record<string, number>;

function addJson(into: Counts, text: string) {
  const parsed = JSON.parse(text) as Counts;
  for (const [key, n] of Object.entries(parsed)) into[key] = (into[key] ?? 0) + n;
}

/**
 * The median of a histogram of durations, in seconds (ms precision): the bucket holding the
 * middle rank, interpolated linearly inside it. The true median lies in the same bucket, whose
 * bounds are sqrt(2) apart (the first is [0, 1 s)); null when the histogram is empty.
 */
export function histogramMedianSeconds(histogram: Counts): number | null {
  const buckets = Object.entries(histogram)
    .map(([b, n]) => [Number(b), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const half = total / 2;
  let below = 0;
  for (const [bucket, n] of buckets) {
    if (below + n >= half) {
      const lower = bucketLowerMs(bucket);
      if (bucket >= DURATION_BUCKETS - 1) return lower / 1000;
      const upper = bucketLowerMs(bucket + 1);
      return Math.round(lower + ((half - below) / n) * (upper - lower)) / 1000;
    }
    below += n;
  }
  return null;
}

type RollupRow = typeof invitationStats.$inferSelect;

export function summarize(
  rows: RollupRow[],
  overdue: { status: InvitationStatus; n: number }[],
  fromDay: number,
  toDay: number,
): InvitationStats {
  const byStatus = Object.fromEntries(INVITATION_STATUSES.map((s) => [s, 0])) as Record<
    InvitationStatus,
    number
  >;
  let created = 0;
  let viewed = 0;
  let started = 0;
  const view: Counts = {};
  const complete: Counts = {};
  const failureReasons: Counts = {};
  const abandonedAtStep: Counts = {};
  for (const row of rows) {
    created += row.created;
    viewed += row.viewed;
    started += row.started;
    byStatus.pending += row.pending;
    byStatus.in_progress += row.inProgress;
    byStatus.completed += row.completed;
    byStatus.failed += row.failed;
    byStatus.cancelled += row.cancelled;
    byStatus.expired += row.expired;
    addJson(view, row.viewSeconds);
    addJson(complete, row.completeSeconds);
    addJson(failureReasons, row.failureReasons);
    addJson(abandonedAtStep, row.abandonedSteps);
  }
  for (const { status, n } of overdue) {
    byStatus[status] -= n;
    byStatus.expired += n;
  }
  return {
    from: new Date(fromDay * DAY_MS).toISOString(),
    to: new Date(toDay * DAY_MS).toISOString(),
    created,
    viewed,
    started,
    byStatus,
    failureReasons,
    abandonedAtStep,
    completionRate: created === 0 ? 0 : byStatus.completed / created,
    medianSecondsToView: histogramMedianSeconds(view),
    medianSecondsToComplete: histogramMedianSeconds(complete),
  };
}

export const getStats: RouteHandler<typeof statsRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const now = c.get("now")();
  const { fromDay, toDay } = statsWindow(query, now);
  const db = c.get("db");
  const { rollups, overdue } = statsStatements(db, {
    ...tenantOf(c),
    fromDay,
    toDay,
    connectionType: query.connectionType,
    now,
  });
  const results = (await db.batch([overdue, ...rollups])) as unknown[][];
  const [expired, ...ranges] = results as [{ status: InvitationStatus; n: number }[], ...RollupRow[][]];
  return c.json(summarize(ranges.flat(), expired, fromDay, toDay), 200);
};
