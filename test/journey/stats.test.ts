import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import {
  bucketLowerMs,
  DURATION_BUCKETS,
  histogramMedianSeconds,
} from "../../src/invitations/invitations.stats";
import { expireOverdue } from "../../src/invitations/lifecycle";
import { code, expectStatus, harness, testKeyFor } from "../onboarding/support";
import { createProject, expectError } from "../support/api";

// GET /v1/invitations/stats on a seeded dataset whose every count is known, read from the
// rollup the triggers keep (drizzle/0010), with expiry read as everywhere else.

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0); // Monday 2026-11-02 09:00 UTC

type Stats = {
  from: string;
  to: string;
  created: number;
  viewed: number;
  started: number;
  byStatus: Record<string, number>;
  failureReasons: Record<string, number>;
  abandonedAtStep: Record<string, number>;
  completionRate: number;
  medianSecondsToView: number | null;
  medianSecondsToComplete: number | null;
};

async function seeded() {
  let now = T0;
  const h = harness({ now: () => now });
  const at = (ms: number) => {
    now = ms;
  };
  const project = await createProject();
  const testKey = await testKeyFor(project.projectId);
  const stranger = await createProject();
  const create = async (apiKey: string, body: Record<string, unknown> = {}) =>
    (
      (await expectStatus(
        await h.call("/v1/invitations", {
          method: "POST",
          apiKey,
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        }),
        201,
      )) as { invitation: { id: string; token: string } }
    ).invitation;
  const view = async (token: string) => expect((await h.call(`/invite/${token}`)).status).toBe(200);

  // 40 days before: outside the default window, inside a year's.
  at(T0 - 40 * DAY);
  await create(project.apiKey);
  at(T0);
  const a = await create(project.apiKey); // viewed after 30 s, completed after 120 s
  const b = await create(project.apiKey); // viewed after 60 s, cancelled in Meta, then Meta error
  const c = await create(project.apiKey); // cancelled by the partner
  const d = await create(project.apiKey, { expiresInDays: 1 }); // left pending: expired by time
  const e = await create(project.apiKey, { connectionType: "messenger" }); // viewed after 90 s
  at(T0 + 30_000);
  await view(a.token);
  at(T0 + 60_000);
  await view(b.token);
  await h.ok(b.token, "start", {});
  await h.ok(b.token, "fail", { reason: "fb_cancelled", step: "PHONE_NUMBER_SETUP" });
  at(T0 + 61_000); // an attempt is keyed by its start's millisecond
  await h.ok(b.token, "start", {});
  await h.ok(b.token, "fail", { reason: "internal_error", errorCode: "2388001", sessionId: "s1" });
  at(T0 + 90_000);
  await view(e.token);
  await h.ok(a.token, "start", {});
  at(T0 + 120_000);
  await h.ok(a.token, "complete", { code: code() });
  expect(
    (await h.call(`/v1/invitations/${c.id}/cancel`, { method: "POST", apiKey: project.apiKey })).status,
  ).toBe(200);
  // Neither the project's test mode nor another project counts.
  await create(testKey);
  const strangers = await create(stranger.apiKey);
  await view(strangers.token);
  at(T0 + 2 * DAY);
  const stats = async (query = "", apiKey = project.apiKey) =>
    (await expectStatus(await h.call(`/v1/invitations/stats${query}`, { apiKey }), 200)) as Stats;
  return { h, project, testKey, stats, ids: { a, b, c, d, e } };
}

// The medians' oracles, by hand from the buckets (lower bounds sqrt(2) apart, interpolated):
// views at 30, 60 and 90 s fall in [22.627, 32), [45.255, 64) and [64, 90.51) s; the middle rank
// (1.5 of 3) is halfway into the second: 45.255 + (64 - 45.255) / 2 = 54.6275 -> 54.628 s.
// The one completion, 120 s, in [90.51, 128): halfway, 109.255 s.
const ALL = {
  created: 5,
  viewed: 3,
  started: 2,
  byStatus: { pending: 1, in_progress: 0, completed: 1, expired: 1, cancelled: 1, failed: 1 },
  failureReasons: { fb_cancelled: 1, internal_error: 1 },
  abandonedAtStep: { PHONE_NUMBER_SETUP: 1 },
  completionRate: 1 / 5,
  medianSecondsToView: 54.628,
  medianSecondsToComplete: 109.255,
};

describe("the funnel", () => {
  it("default window (the last 30 days): every count, expiry by time, reasons, steps, rate and medians", async () => {
    const { stats } = await seeded();
    // now = T0 + 2 days, 09:00 UTC: the last 30 days, widened to whole UTC days.
    expect(await stats()).toEqual({
      from: new Date(Date.UTC(2026, 9, 5)).toISOString(),
      to: new Date(Date.UTC(2026, 10, 5)).toISOString(),
      ...ALL,
    });
  });

  it("after the sweep persists the expiry, the answer is the same", async () => {
    const { stats } = await seeded();
    const before = await stats();
    expect(await expireOverdue(createDb(env.DB), T0 + 2 * DAY, { limit: 500 })).toBeGreaterThanOrEqual(1);
    expect(await stats()).toEqual(before);
  });

  it("connectionType filters; a year's window adds the invitation of 40 days ago; a window without any is zeros and null medians", async () => {
    const { stats } = await seeded();
    expect(await stats("?connectionType=messenger")).toMatchObject({
      created: 1,
      viewed: 1,
      started: 0,
      byStatus: { pending: 1, in_progress: 0, completed: 0, expired: 0, cancelled: 0, failed: 0 },
      failureReasons: {},
      abandonedAtStep: {},
      completionRate: 0,
      // One view at 90 s in [64, 90.51): halfway, 77.255 s.
      medianSecondsToView: 77.255,
      medianSecondsToComplete: null,
    });
    const from = new Date(T0 + 2 * DAY - 366 * DAY).toISOString();
    const year = await stats(`?from=${from}`);
    expect(year).toMatchObject({
      ...ALL,
      created: 6,
      // It expired 7 days after its creation.
      byStatus: { ...ALL.byStatus, expired: 2 },
      completionRate: 1 / 6,
    });
    expect(await stats(`?from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z`)).toEqual({
      from: "2026-11-03T00:00:00.000Z",
      to: "2026-11-04T00:00:00.000Z",
      created: 0,
      viewed: 0,
      started: 0,
      byStatus: { pending: 0, in_progress: 0, completed: 0, expired: 0, cancelled: 0, failed: 0 },
      failureReasons: {},
      abandonedAtStep: {},
      completionRate: 0,
      medianSecondsToView: null,
      medianSecondsToComplete: null,
    });
  });

  it("instants inside a day count the whole UTC days around them, and the answer says so", async () => {
    const { stats } = await seeded();
    const body = await stats("?from=2026-11-02T12:00:00Z&to=2026-11-02T15:00:00%2B02:00");
    expect([body.from, body.to, body.created]).toEqual([
      "2026-11-02T00:00:00.000Z",
      "2026-11-03T00:00:00.000Z",
      5,
    ]);
  });

  it("each mode and project sees its own invitations only", async () => {
    const { stats, testKey } = await seeded();
    expect((await stats("", testKey)).created).toBe(1);
    const empty = await createProject();
    expect((await stats("", empty.apiKey)).created).toBe(0);
  });
});

describe("bad windows are 400 invalid_request in the Error shape", () => {
  it("more than 366 days, from not before to, not an instant, an unknown connectionType", async () => {
    const { h, project } = await seeded();
    const call = (query: string) => h.call(`/v1/invitations/stats${query}`, { apiKey: project.apiKey });
    expect((await call("?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z")).status).toBe(200); // 366 days
    for (const query of [
      "?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:01Z",
      "?from=2026-01-02T00:00:00Z&to=2026-01-02T00:00:00Z",
      "?from=2026-01-03T00:00:00Z&to=2026-01-02T00:00:00Z",
      "?from=yesterday",
      "?to=2026-13-01T00:00:00Z",
      "?from=2026-01-01",
      "?connectionType=sms",
      "?from=2099-01-01T00:00:00Z",
    ]) {
      const body = await expectError(await call(query), 400, "invalid_request");
      expect(Object.keys((body.details as { fields: object }).fields).length, query).toBeGreaterThan(0);
    }
  });

  it("is routed as stats, not as an invitation id, and is in /openapi.json", async () => {
    const { h } = await seeded();
    const doc = (await (await h.call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(doc.paths["/v1/invitations/stats"]?.get?.operationId).toBe("getInvitationStats");
  });
});

describe("histogram medians", () => {
  it("the buckets in the database are the ones the median reads", async () => {
    const { results } = await env.DB.prepare(
      "SELECT bucket, lower_ms FROM stats_duration_buckets ORDER BY bucket",
    ).all<{
      bucket: number;
      lower_ms: number;
    }>();
    expect(results.map((r) => [r.bucket, r.lower_ms])).toEqual(
      Array.from({ length: DURATION_BUCKETS - 1 }, (_, i) => [i + 1, bucketLowerMs(i + 1)]),
    );
  });

  it("interpolates inside the bucket of the middle rank; null when empty", () => {
    expect(histogramMedianSeconds({})).toBeNull();
    // Two in [0, 1 s): the middle rank (1 of 2) is halfway: 0.5 s.
    expect(histogramMedianSeconds({ "0": 2 })).toBe(0.5);
    // 1 in [1, 1.414), 3 in [2, 2.828): rank 2 of 4 is a third into the second bucket.
    expect(histogramMedianSeconds({ "1": 1, "3": 3 })).toBe(Math.round(2000 + (1 / 3) * 828) / 1000);
  });
});
