import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { listInvitationsSql } from "../../src/invitations/invitations.repository";
import { DAY_MS, statsStatements, statsWindow } from "../../src/invitations/invitations.stats";
import { expireOverdue } from "../../src/invitations/lifecycle";
import { createInvitation, createProject, type TestProject } from "../support/api";
import { appWith } from "../support/app";
import { cloneInvitations } from "./fill";
import { medianMs } from "./timing";

// The funnel (GET /v1/invitations/stats) costs no more than 3x a first page of the list, in a
// project of 250,000 invitations spread over the last 366 days (both connection types) next to
// another of 50,000, measured as test/scale/deep-pages.scale.ts measures pages: rows D1 reads
// for the queries (exact) and the whole request's median time, round-robin. Figures are
// printed and recorded in docs/scaling.md.

const PROJECT_SIZE = 250_000;
const OTHER_SIZE = 50_000;
const PAGE = 50;
const RUNS = 61;
const call = appWith({});
let project: TestProject;
let backlogReads = 0;

beforeAll(async () => {
  const started = Date.now();
  project = await createProject("Stats");
  const other = await createProject("Neighbour");
  const body = {
    clientName: "Acme Corporation International",
    clientEmail: "operations.team@acme-corporation.example",
    clientPhone: "+14155551234",
    allowedPhoneCountries: ["US", "MX", "CA"],
  };
  const template = await createInvitation(project.apiKey, body);
  const otherTemplate = await createInvitation(other.apiKey, body);
  const now = Date.now();
  const span = 366 * DAY_MS;
  await cloneInvitations({
    templateId: template.id,
    projectId: project.projectId,
    count: PROJECT_SIZE - 1,
    startAt: now - span,
    stepMs: Math.floor(span / PROJECT_SIZE),
    alternateConnectionType: true,
  });
  await cloneInvitations({
    templateId: otherTemplate.id,
    projectId: other.projectId,
    count: OTHER_SIZE - 1,
    startAt: now - span,
    stepMs: Math.floor(span / OTHER_SIZE),
  });
  const filled = Date.now();
  // The clones' expiries passed without a sweep: first what a backlog costs, then the sweep
  // persists them, as the cron does every 5 minutes in production.
  backlogReads = await rowsRead({ windowDays: 30 });
  let swept = 0;
  for (;;) {
    const n = await expireOverdue(createDb(env.DB), Date.now(), { limit: 20_000 });
    swept += n;
    if (n === 0) break;
  }
  console.log(
    `filled ${PROJECT_SIZE + OTHER_SIZE} invitations in ${((filled - started) / 1000).toFixed(1)} s, swept ${swept} in ${((Date.now() - filled) / 1000).toFixed(1)} s`,
  );
});

/** Rows D1 reads to run the exact statements the stats handler batches. */
async function rowsRead(options: { windowDays: number; connectionType?: "messenger" }) {
  const now = Date.now();
  const window = statsWindow({ from: new Date(now - options.windowDays * DAY_MS).toISOString() }, now);
  const statements = statsStatements(createDb(env.DB), {
    projectId: project.projectId,
    mode: "live",
    ...window,
    connectionType: options.connectionType,
    now,
  });
  let read = 0;
  for (const statement of [...statements.rollups, statements.overdue]) {
    const query = statement.toSQL();
    const { meta } = await env.DB.prepare(query.sql)
      .bind(...query.params)
      .all();
    read += meta.rows_read;
  }
  return read;
}

async function firstPageRowsRead() {
  const query = listInvitationsSql(createDb(env.DB), {
    projectId: project.projectId,
    mode: "live",
    limit: PAGE,
    now: Date.now(),
  });
  const { meta, results } = await env.DB.prepare(query.sql)
    .bind(...query.params)
    .all();
  expect(results).toHaveLength(PAGE + 1);
  return meta.rows_read;
}

const timed = (paths: Record<string, string>) =>
  medianMs(call, project.apiKey, paths, RUNS, (name, res) => {
    if (res.status !== 200) throw new Error(`${name} failed: ${res.status}`);
  });

it("the funnel of 30 days, of 366 days and of one channel costs no more than 3x a first page", async () => {
  const year = new Date(Date.now() - 366 * DAY_MS + 60_000).toISOString();
  const reads = {
    firstPage: await firstPageRowsRead(),
    stats30: await rowsRead({ windowDays: 30 }),
    stats366: await rowsRead({ windowDays: 366 }),
    stats366Messenger: await rowsRead({ windowDays: 366, connectionType: "messenger" }),
  };
  // The answer is the whole project: 250,000 invitations, a sixth of them completed.
  const whole = (await (
    await call(`/v1/invitations/stats?from=${year}`, { apiKey: project.apiKey })
  ).json()) as {
    created: number;
    byStatus: Record<string, number>;
  };
  expect(whole.created).toBe(PROJECT_SIZE);
  const paths = {
    firstPage: `/v1/invitations?limit=${PAGE}`,
    stats30: "/v1/invitations/stats",
    stats366: `/v1/invitations/stats?from=${year}`,
    stats366Messenger: `/v1/invitations/stats?from=${year}&connectionType=messenger`,
  };
  await timed(paths); // warm the isolate and SQLite's page cache
  const ms = (await timed(paths)) as Record<keyof typeof paths, number>;
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  console.log(
    JSON.stringify({
      rowsRead: { ...reads, stats30WithUnsweptBacklog: backlogReads },
      medianMs: ms,
      ratios: {
        stats30: ratio(ms.stats30, ms.firstPage),
        stats366: ratio(ms.stats366, ms.firstPage),
        stats366Messenger: ratio(ms.stats366Messenger, ms.firstPage),
      },
      byStatus: whole.byStatus,
    }),
  );
  for (const name of ["stats30", "stats366", "stats366Messenger"] as const) {
    expect(reads[name], name).toBeLessThanOrEqual(reads.firstPage * 3);
    expect(ms[name], name).toBeLessThanOrEqual(ms.firstPage * 3);
  }
});
