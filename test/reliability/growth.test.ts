import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { purgeOldRecords } from "../../src/db/retention";
import worker from "../../src/index";
import { testKeyFor } from "../onboarding/support";
import { addPhoneNumber, createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { setStatus } from "../support/db";

// Growth is bounded (docs/operations.md, "Bounded growth"): a cap on open invitations per
// project and mode, and a retention for webhook deliveries and ended onboarding attempts.

const DAY = 86_400_000;

async function openCount(projectId: string, mode: "live" | "test"): Promise<number | undefined> {
  const row = await env.DB.prepare(
    "SELECT open_count FROM open_invitation_counts WHERE project_id = ? AND mode = ?",
  )
    .bind(projectId, mode)
    .first<{ open_count: number }>();
  return row?.open_count;
}

async function invitationsOf(projectId: string, mode: "live" | "test"): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM invitations WHERE project_id = ? AND mode = ?")
    .bind(projectId, mode)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe("MAX_OPEN_INVITATIONS", () => {
  const capped = appWith({}, { ...env, MAX_OPEN_INVITATIONS: "3" });
  const create = (apiKey: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    capped("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("3 creates succeed, the 4th is 429 rate_limited and creates nothing; a cancel frees a place", async () => {
    const { apiKey, projectId } = await createProject();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(apiKey);
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { invitation: { id: string } }).invitation.id);
    }
    expect(await openCount(projectId, "live")).toBe(3);
    const refused = await create(apiKey, { clientName: "Fourth" });
    const body = await expectError(refused, 429, "rate_limited");
    expect(body.details).toMatchObject({ reason: "open_invitations", limit: 3 });
    expect(body.message).toContain("3 open invitations");
    // The contract's 429 says when to retry: the next expiry sweep, the soonest a place can free itself.
    expect(refused.headers.get("Retry-After")).toBe("300");
    expect(await invitationsOf(projectId, "live")).toBe(3);
    expect(await openCount(projectId, "live")).toBe(3);

    const cancelled = await capped(`/v1/invitations/${ids[0]}/cancel`, { method: "POST", apiKey });
    expect(cancelled.status).toBe(200);
    expect(await openCount(projectId, "live")).toBe(2);
    expect((await create(apiKey)).status).toBe(201);
    await expectError(await create(apiKey), 429, "rate_limited");
    expect(await invitationsOf(projectId, "live")).toBe(4);
    expect(await openCount(projectId, "live")).toBe(3);
  });

  it("counts test and live apart: a full live mode leaves test its own 3, and the other way round", async () => {
    const { apiKey, projectId } = await createProject();
    const testKey = await testKeyFor(projectId);
    for (let i = 0; i < 3; i++) expect((await create(apiKey)).status).toBe(201);
    await expectError(await create(apiKey), 429, "rate_limited");
    for (let i = 0; i < 3; i++) expect((await create(testKey)).status).toBe(201);
    await expectError(await create(testKey), 429, "rate_limited");
    expect(await invitationsOf(projectId, "live")).toBe(3);
    expect(await invitationsOf(projectId, "test")).toBe(3);
    expect([await openCount(projectId, "live"), await openCount(projectId, "test")]).toEqual([3, 3]);
  });

  it("closed invitations do not count: completed, failed-then-expired, and expired ones free their places", async () => {
    const { apiKey, projectId } = await createProject();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(apiKey);
      ids.push(((await res.json()) as { invitation: { id: string } }).invitation.id);
    }
    await expectError(await create(apiKey), 429, "rate_limited");
    // `failed` is still open: it may be retried by the client.
    await setStatus(ids[0] as string, "in_progress");
    await setStatus(ids[0] as string, "failed");
    await expectError(await create(apiKey), 429, "rate_limited");
    await setStatus(ids[1] as string, "expired");
    await setStatus(ids[0] as string, "expired");
    expect(await openCount(projectId, "live")).toBe(1);
    expect((await create(apiKey)).status).toBe(201);
    expect((await create(apiKey)).status).toBe(201);
    await expectError(await create(apiKey), 429, "rate_limited");
  });

  it("with an Idempotency-Key: refused, nothing remembered, and the same key creates once a place is free", async () => {
    const { apiKey, projectId } = await createProject();
    const first = await createInvitation(apiKey);
    for (let i = 0; i < 2; i++) expect((await create(apiKey)).status).toBe(201);
    const keyed = () => create(apiKey, { clientName: "Keyed" }, { "Idempotency-Key": "cap-key" });
    await expectError(await keyed(), 429, "rate_limited");
    expect(await invitationsOf(projectId, "live")).toBe(3);
    const remembered = await env.DB.prepare(
      "SELECT count(*) AS n FROM idempotency_keys WHERE project_id = ? AND key = 'cap-key'",
    )
      .bind(projectId)
      .first<{ n: number }>();
    expect(remembered?.n).toBe(0);
    expect((await capped(`/v1/invitations/${first.id}/cancel`, { method: "POST", apiKey })).status).toBe(200);
    const created = await keyed();
    expect(created.status).toBe(201);
    expect(created.headers.get("Idempotent-Replayed")).toBeNull();
    const replay = await keyed();
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await invitationsOf(projectId, "live")).toBe(4);
  });

  it("with a phoneNumberId: refused at the cap without holding the number; an unknown number is still 400", async () => {
    const { apiKey, projectId } = await createProject();
    const phoneNumberId = await addPhoneNumber(projectId);
    for (let i = 0; i < 3; i++) expect((await create(apiKey)).status).toBe(201);
    await expectError(await create(apiKey, { phoneNumberId }), 429, "rate_limited");
    await expectError(await create(apiKey, { phoneNumberId: "pn_unknown" }), 400, "invalid_request");
    const held = await env.DB.prepare("SELECT count(*) AS n FROM invitations WHERE phone_number_id = ?")
      .bind(phoneNumberId)
      .first<{ n: number }>();
    expect(held?.n).toBe(0);
    expect(await invitationsOf(projectId, "live")).toBe(3);
  });

  it("10 creates in parallel against a cap of 3: exactly 3 are created, 7 refused", async () => {
    const { apiKey, projectId } = await createProject();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create(apiKey, {}, i % 2 === 0 ? { "Idempotency-Key": `race-${i}` } : {}).then((res) => res.status),
      ),
    );
    // Seen: 3 x 201 and 7 x 429, in whatever order the writes landed.
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(await invitationsOf(projectId, "live")).toBe(3);
    expect(await openCount(projectId, "live")).toBe(3);
  });

  it("an invalid MAX_OPEN_INVITATIONS falls back to the default 10,000", async () => {
    const app = appWith({}, { ...env, MAX_OPEN_INVITATIONS: "zero" });
    const { apiKey, projectId } = await createProject();
    // 10,000 open already: the counter is what the insert reads.
    await env.DB.prepare(
      "INSERT INTO open_invitation_counts (project_id, mode, open_count) VALUES (?, 'live', 9999)",
    )
      .bind(projectId)
      .run();
    const init = { method: "POST", apiKey, headers: { "Content-Type": "application/json" }, body: "{}" };
    expect((await app("/v1/invitations", init)).status).toBe(201);
    const refused = await expectError(await app("/v1/invitations", init), 429, "rate_limited");
    expect(refused.details).toMatchObject({ reason: "open_invitations", limit: 10_000 });
  });
});

describe("retention of webhook deliveries and onboarding attempts", () => {
  /** An invitation with one event (its status change to in_progress), to hang rows on. */
  async function invitationWithEvent() {
    const { apiKey, projectId } = await createProject();
    const { id } = await createInvitation(apiKey);
    await setStatus(id, "in_progress");
    const event = await env.DB.prepare("SELECT id FROM invitation_events WHERE invitation_id = ?")
      .bind(id)
      .first<{ id: string }>();
    if (!event) throw new Error("no event");
    return { projectId, invitationId: id, eventId: event.id };
  }

  async function seedDeliveries(
    target: Awaited<ReturnType<typeof invitationWithEvent>>,
    createdAts: number[],
  ): Promise<void> {
    await env.DB.batch(
      createdAts.map((createdAt, i) =>
        env.DB.prepare(
          `INSERT INTO webhook_deliveries (id, project_id, mode, event_id, invitation_id, attempt, outcome, duration_ms, created_at)
           VALUES (?, ?, 'live', ?, ?, ?, 'delivered', 5, ?)`,
        ).bind(
          `del_${target.invitationId}_${i}`,
          target.projectId,
          target.eventId,
          target.invitationId,
          i + 1,
          createdAt,
        ),
      ),
    );
  }

  async function seedAttempts(
    invitationId: string,
    attempts: { createdAt: number; outcome: string | null }[],
  ) {
    await env.DB.batch(
      attempts.map(({ createdAt, outcome }, i) =>
        env.DB.prepare(
          "INSERT INTO onboarding_attempts (invitation_id, started_at, outcome, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        ).bind(invitationId, createdAt + i, outcome, createdAt, createdAt),
      ),
    );
  }

  const deliveriesLeft = async (invitationId: string) =>
    (
      await env.DB.prepare(
        "SELECT created_at FROM webhook_deliveries WHERE invitation_id = ? ORDER BY created_at",
      )
        .bind(invitationId)
        .all<{ created_at: number }>()
    ).results.map((r) => r.created_at);

  const attemptsLeft = async (invitationId: string) =>
    (
      await env.DB.prepare(
        "SELECT created_at, outcome FROM onboarding_attempts WHERE invitation_id = ? ORDER BY created_at, started_at",
      )
        .bind(invitationId)
        .all<{ created_at: number; outcome: string | null }>()
    ).results.map((r) => [r.created_at, r.outcome]);

  async function runCron(scheduledTime: number, bindings: Env = env) {
    await worker.scheduled(
      createScheduledController({ scheduledTime, cron: "*/5 * * * *" }),
      bindings,
      createExecutionContext(),
    );
  }

  it("the cron deletes deliveries, and ended attempts, created more than 30 days ago; it keeps the rest", async () => {
    const target = await invitationWithEvent();
    const now = Date.now();
    const cutoff = now - 30 * DAY;
    await seedDeliveries(target, [cutoff - 5 * DAY, cutoff - 1, cutoff, cutoff + 1, now - DAY]);
    await seedAttempts(target.invitationId, [
      { createdAt: cutoff - 2 * DAY, outcome: "completed" },
      { createdAt: cutoff - DAY, outcome: "failed" },
      // Left running for a month: the cron's sweep ends it first (signup_abandoned), then the
      // purge removes it like any ended attempt.
      { createdAt: cutoff - DAY, outcome: null },
      { createdAt: cutoff, outcome: "failed" },
      { createdAt: now - DAY, outcome: "completed" },
    ]);
    await runCron(now);
    expect(await deliveriesLeft(target.invitationId)).toEqual([cutoff, cutoff + 1, now - DAY]);
    expect(await attemptsLeft(target.invitationId)).toEqual([
      [cutoff, "failed"],
      [now - DAY, "completed"],
    ]);
    // The invitation and its event stay.
    const events = await env.DB.prepare("SELECT count(*) AS n FROM invitation_events WHERE id = ?")
      .bind(target.eventId)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
  });

  it("RETENTION_DAYS sets the age", async () => {
    const target = await invitationWithEvent();
    const now = Date.now();
    await seedDeliveries(target, [now - 8 * DAY, now - 6 * DAY]);
    await seedAttempts(target.invitationId, [
      { createdAt: now - 8 * DAY, outcome: "failed" },
      { createdAt: now - 6 * DAY, outcome: "failed" },
    ]);
    await runCron(now, { ...env, RETENTION_DAYS: "7" });
    expect(await deliveriesLeft(target.invitationId)).toEqual([now - 6 * DAY]);
    expect(await attemptsLeft(target.invitationId)).toEqual([[now - 6 * DAY, "failed"]]);
  });

  it("deletes in bounded batches, oldest first: a run stops after maxBatches and the next continues", async () => {
    const target = await invitationWithEvent();
    // The oldest rows there can be, so that they are the ones the oldest-first batches take.
    const times = [1_000, 1_001, 1_002, 1_003, 1_004];
    await seedDeliveries(target, times);
    await seedAttempts(
      target.invitationId,
      times.map((createdAt) => ({ createdAt, outcome: "completed" })),
    );
    const db = createDb(env.DB);
    const first = await purgeOldRecords(db, Date.now(), 30, { batchSize: 2, maxBatches: 2 });
    expect(first).toEqual({ deliveries: 4, attempts: 4, metaWebhookChanges: 0 });
    expect(await deliveriesLeft(target.invitationId)).toEqual([1_004]);
    expect(await attemptsLeft(target.invitationId)).toEqual([[1_004, "completed"]]);
    const second = await purgeOldRecords(db, Date.now(), 30, { batchSize: 2, maxBatches: 2 });
    expect(second.deliveries).toBeGreaterThanOrEqual(1);
    expect(await deliveriesLeft(target.invitationId)).toEqual([]);
    expect(await attemptsLeft(target.invitationId)).toEqual([]);
  });
});
