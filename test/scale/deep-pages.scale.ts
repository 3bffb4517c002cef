import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import type { InvitationStatus } from "../../src/db/schema";
import { encodeCursor } from "../../src/invitations/cursor";
import { listInvitationsSql } from "../../src/invitations/invitations.repository";
import { createInvitation, createProject, type TestProject } from "../support/api";
import { appWith } from "../support/app";
import { cloneInvitations } from "./fill";
import { medianMs } from "./timing";

// Keyset pages stay as cheap 150,000 deep as on the first page, with and without a status
// filter, in a project of 250,000 invitations sharing the database with another project of
// 50,000. Cost is measured two ways: rows D1 reads for the page's query (exact, from D1's own
// meta) and the time of the whole request through the app (median of RUNS, noisy on a shared
// machine). Figures are printed and recorded in docs/scaling.md.

const PROJECT_SIZE = 250_000;
const OTHER_SIZE = 50_000;
const DEPTH = 150_000;
const PAGE = 50;
const RUNS = 61;
const call = appWith({});
let project: TestProject;

beforeAll(async () => {
  const started = Date.now();
  project = await createProject("Deep pages");
  const other = await createProject("Neighbour");
  const body = {
    clientName: "Acme Corporation International",
    clientEmail: "operations.team@acme-corporation.example",
    clientPhone: "+14155551234",
    allowedPhoneCountries: ["US", "MX", "CA"],
  };
  const template = await createInvitation(project.apiKey, body);
  const otherTemplate = await createInvitation(other.apiKey, body);
  // Older than the templates, so the templates stay the newest rows of each project.
  const base = Date.now() - 400_000_000;
  await cloneInvitations({
    templateId: template.id,
    projectId: project.projectId,
    count: PROJECT_SIZE - 1,
    startAt: base,
  });
  await cloneInvitations({
    templateId: otherTemplate.id,
    projectId: other.projectId,
    count: OTHER_SIZE - 1,
    startAt: base,
  });
  console.log(
    `filled ${PROJECT_SIZE + OTHER_SIZE} invitations in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

/** The (createdAt, id) of the row `depth` rows down the project's list (with the filter). */
async function positionAt(depth: number, status?: InvitationStatus) {
  const filter = status === undefined ? "" : "AND status = ?2";
  const row = await env.DB.prepare(
    `SELECT created_at, id FROM invitations WHERE project_id = ?1 ${filter}
     ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ${depth - 1}`,
  )
    .bind(project.projectId, ...(status === undefined ? [] : [status]))
    .first<{ created_at: number; id: string }>();
  if (!row) throw new Error(`no row at depth ${depth}`);
  return { createdAt: row.created_at, id: row.id };
}

/** Rows D1 reads to run the exact query the list handler runs. */
async function rowsRead(options: { status?: InvitationStatus; after?: { createdAt: number; id: string } }) {
  const query = listInvitationsSql(createDb(env.DB), {
    projectId: project.projectId,
    mode: "live",
    limit: PAGE,
    now: Date.now(),
    ...options,
  });
  const { meta, results } = await env.DB.prepare(query.sql)
    .bind(...query.params)
    .all();
  expect(results).toHaveLength(PAGE + 1);
  return meta.rows_read;
}

const timed = (paths: Record<string, string>) =>
  medianMs(call, project.apiKey, paths, RUNS, (_name, res, body) => {
    if (res.status !== 200 || (body as { items: unknown[] }).items.length !== PAGE) {
      throw new Error(`page failed: ${res.status}`);
    }
  });

it(`a page ${DEPTH.toLocaleString("en")} deep costs no more than 1.5x the first, with and without a status filter`, async () => {
  const key = env.TOKEN_HASH_KEY;
  const deep = await positionAt(DEPTH);
  // pending is every sixth row: 150,000 rows down the unfiltered list is 25,000 pending deep.
  const deepPending = await positionAt(DEPTH / 6, "pending");
  const cursor = encodeURIComponent(
    await encodeCursor(key, { projectId: project.projectId, mode: "live" }, deep, "invitations"),
  );
  const pendingCursor = encodeURIComponent(
    await encodeCursor(key, { projectId: project.projectId, mode: "live" }, deepPending, "invitations"),
  );

  const reads = {
    first: await rowsRead({}),
    deep: await rowsRead({ after: deep }),
    pendingFirst: await rowsRead({ status: "pending" }),
    pendingDeep: await rowsRead({ status: "pending", after: deepPending }),
  };
  const paths = {
    first: `/v1/invitations?limit=${PAGE}`,
    deep: `/v1/invitations?limit=${PAGE}&cursor=${cursor}`,
    pendingFirst: `/v1/invitations?limit=${PAGE}&status=pending`,
    pendingDeep: `/v1/invitations?limit=${PAGE}&status=pending&cursor=${pendingCursor}`,
  };
  await timed(paths); // warm the isolate and SQLite's page cache
  const ms = (await timed(paths)) as Record<keyof typeof paths, number>;
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  console.log(
    JSON.stringify({
      rowsRead: reads,
      medianMs: ms,
      ratios: {
        deepVsFirst: ratio(ms.deep, ms.first),
        pendingFirstVsFirst: ratio(ms.pendingFirst, ms.first),
        pendingDeepVsFirst: ratio(ms.pendingDeep, ms.first),
      },
    }),
  );
  // Exact: the deep page reads the same rows as the first (an index seek, then PAGE + 1 rows).
  expect(reads.deep).toBeLessThanOrEqual(reads.first * 1.5);
  expect(reads.pendingFirst).toBeLessThanOrEqual(reads.first * 1.5);
  expect(reads.pendingDeep).toBeLessThanOrEqual(reads.first * 1.5);
  // Timed: the whole request, median of RUNS.
  expect(ms.deep).toBeLessThanOrEqual(ms.first * 1.5);
  expect(ms.pendingFirst).toBeLessThanOrEqual(ms.first * 1.5);
  expect(ms.pendingDeep).toBeLessThanOrEqual(ms.first * 1.5);
});
