import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import worker from "../../src/index";
import { SWEEP_BATCH_SIZE, SWEEP_MAX_BATCHES, sweepExpiredInvitations } from "../../src/invitations/expiry";
import wranglerToml from "../../wrangler.toml?raw";
import { addPhoneNumber, createInvitation, createProject, expectError, postJson } from "../support/api";
import { type Caller, callAt, createAt, type WireInvitation } from "./support/clock";
import { bulkInsertInvitations, eventsOf, readRow, setExpiresAt, setStatus } from "./support/db";
import { listAll } from "./support/list";

const DAY = 86_400_000;

async function getAt(caller: Caller, apiKey: string, id: string): Promise<WireInvitation> {
  const res = await caller(`/v1/invitations/${id}`, { apiKey });
  expect(res.status).toBe(200);
  return ((await res.json()) as { invitation: WireInvitation }).invitation;
}

/** Runs the Worker's Cron Trigger handler as if fired at `time`; returns the logged sweep count. */
async function runCron(time: number): Promise<number> {
  const log = vi.spyOn(console, "log");
  try {
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: new Date(time), cron: "*/5 * * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const lines = log.mock.calls
      .map((args) => String(args[0]))
      .filter((line) => line.includes('"expiry_sweep"'))
      .map((line) => JSON.parse(line) as { event: string; expired: number; at: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.at).toBe(new Date(time).toISOString());
    return lines[0]?.expired ?? Number.NaN;
  } finally {
    log.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("expiry by time, as readers see it", () => {
  it("an invitation past expiresAt reads as expired everywhere at once, updatedAt = expiresAt", async () => {
    const { apiKey } = await createProject();
    const created = await createInvitation(apiKey, { expiresInDays: 1 });
    const other = await createInvitation(apiKey, { expiresInDays: 30 });
    const expiresAt = Date.parse(created.expiresAt as string);

    const before = callAt(() => expiresAt - 1000);
    expect(await getAt(before, apiKey, created.id)).toMatchObject({
      status: "pending",
      updatedAt: created.updatedAt,
    });
    expect((await listAll(apiKey, { status: "pending" }, before)).items.map((i) => i.id)).toContain(
      created.id,
    );
    expect((await listAll(apiKey, { status: "expired" }, before)).items).toEqual([]);

    const after = callAt(() => expiresAt + 1000);
    const read = await getAt(after, apiKey, created.id);
    expect(read.status).toBe("expired");
    expect(read.updatedAt).toBe(created.expiresAt);
    expect(read).toEqual({ ...created, status: "expired", updatedAt: created.expiresAt });

    const all = await listAll(apiKey, {}, after);
    expect(all.items.find((i) => i.id === created.id)).toEqual(read);
    expect(all.items.find((i) => i.id === other.id)?.status).toBe("pending");
    expect((await listAll(apiKey, { status: "expired" }, after)).items.map((i) => i.id)).toEqual([
      created.id,
    ]);
    expect((await listAll(apiKey, { status: "pending" }, after)).items.map((i) => i.id)).toEqual([other.id]);

    const cancel = await after(`/v1/invitations/${created.id}/cancel`, { method: "POST", apiKey });
    const body = await expectError(cancel, 400, "invalid_state");
    expect(body.message).toContain("expired");
    expect((await readRow(created.id)).status).not.toBe("cancelled");
  });

  it.each(["in_progress", "failed"] as const)(
    "an %s invitation past expiresAt reads as expired",
    async (status) => {
      const { apiKey } = await createProject();
      const created = await createInvitation(apiKey, { expiresInDays: 1 });
      await setStatus(created.id, "in_progress");
      if (status === "failed") await setStatus(created.id, "failed");
      const expiresAt = Date.parse(created.expiresAt as string);
      const after = callAt(() => expiresAt + 1);
      expect(await getAt(after, apiKey, created.id)).toMatchObject({
        status: "expired",
        updatedAt: created.expiresAt,
      });
      expect((await listAll(apiKey, { status }, after)).items).toEqual([]);
      expect((await listAll(apiKey, { status: "expired" }, after)).items.map((i) => i.id)).toEqual([
        created.id,
      ]);
      expect(
        (
          await listAll(
            apiKey,
            { status },
            callAt(() => expiresAt - 1),
          )
        ).items.map((i) => i.id),
      ).toEqual([created.id]);
    },
  );

  it("at the instant of expiresAt it is expired: GET, list filters, cancel and the sweep agree", async () => {
    // expiresAt is the first instant at which the invitation no longer works (expiresAt <= now).
    const { apiKey } = await createProject();
    const created = await createInvitation(apiKey, { expiresInDays: 1 });
    const expiresAt = Date.parse(created.expiresAt as string);
    const justBefore = callAt(() => expiresAt - 1);
    expect((await getAt(justBefore, apiKey, created.id)).status).toBe("pending");
    const at = callAt(() => expiresAt);
    expect(await getAt(at, apiKey, created.id)).toEqual({
      ...created,
      status: "expired",
      updatedAt: created.expiresAt,
    });
    expect((await listAll(apiKey, { status: "expired" }, at)).items.map((i) => i.id)).toEqual([created.id]);
    expect((await listAll(apiKey, { status: "pending" }, at)).items).toEqual([]);
    const cancel = await at(`/v1/invitations/${created.id}/cancel`, { method: "POST", apiKey });
    expect((await expectError(cancel, 400, "invalid_state")).details).toMatchObject({ status: "expired" });
    expect((await readRow(created.id)).status).toBe("pending");
    await sweepExpiredInvitations(createDb(env.DB), expiresAt);
    expect(await readRow(created.id)).toMatchObject({ status: "expired", updated_at: expiresAt });
  });
});

describe("expiry on touch", () => {
  it("an invitation expired by time no longer holds its phone number", async () => {
    const { projectId, apiKey } = await createProject();
    const phoneNumberId = await addPhoneNumber(projectId);
    const first = await createInvitation(apiKey, { phoneNumberId });
    const held = await postJson("/v1/invitations", apiKey, { phoneNumberId });
    const heldBody = await expectError(held, 400, "invalid_request");
    expect(Object.keys((heldBody.details?.fields ?? {}) as object)).toContain("phoneNumberId");

    await setExpiresAt(first.id, Date.now() - 60_000);
    const second = await createInvitation(apiKey, { phoneNumberId });
    expect(second.phoneNumberId).toBe(phoneNumberId);
    const row = await readRow(first.id);
    expect(row.status).toBe("expired");
    expect(row.updated_at).toBe(row.expires_at);
    expect((await eventsOf(first.id)).map((e) => [e.previous_status, e.current_status])).toEqual([
      ["pending", "expired"],
    ]);
  });
});

describe("expiry sweep (Cron Trigger)", () => {
  it("wrangler.toml declares a cron trigger and the Worker exports scheduled", () => {
    expect(wranglerToml).toMatch(/^\[triggers\]\s*\ncrons = \["[^"]+"/m);
    expect(wranglerToml).toContain("crons = [");
    expect(typeof worker.scheduled).toBe("function");
  });

  it("persists expired for due open rows only: updated_at = expires_at, one event each", async () => {
    const { apiKey } = await createProject();
    // A clock of its own, far from the other tests' rows.
    const base = Date.now() + 400 * DAY;
    const at = callAt(() => base);
    const due = {
      pending: await createAt(at, apiKey, { expiresInDays: 1 }),
      inProgress: await createAt(at, apiKey, { expiresInDays: 1 }),
      failed: await createAt(at, apiKey, { expiresInDays: 2 }),
    };
    await setStatus(due.inProgress.id, "in_progress");
    await setStatus(due.failed.id, "in_progress");
    await setStatus(due.failed.id, "failed");
    const notDue = await createAt(at, apiKey, { expiresInDays: 5 });
    const completed = await createAt(at, apiKey, { expiresInDays: 1 });
    await setStatus(completed.id, "in_progress");
    await setStatus(completed.id, "completed");
    const cancelled = await createAt(at, apiKey, { expiresInDays: 1 });
    expect((await at(`/v1/invitations/${cancelled.id}/cancel`, { method: "POST", apiKey })).status).toBe(200);

    const untouched = [notDue, completed, cancelled];
    const rowsBefore = await Promise.all(untouched.map((i) => readRow(i.id)));
    const eventsBefore = await Promise.all(untouched.map((i) => eventsOf(i.id)));

    const sweepAt = base + 3 * DAY;
    expect(await runCron(sweepAt)).toBeGreaterThanOrEqual(3);

    for (const [label, invitation] of Object.entries(due)) {
      const row = await readRow(invitation.id);
      expect(row.status, label).toBe("expired");
      expect(row.updated_at, label).toBe(row.expires_at);
      expect(row.updated_at, label).toBe(Date.parse(invitation.expiresAt));
      const expiredEvents = (await eventsOf(invitation.id)).filter((e) => e.current_status === "expired");
      expect(expiredEvents, label).toHaveLength(1);
      expect(expiredEvents[0]?.created_at, label).toBe(row.expires_at);
    }
    expect((await eventsOf(due.pending.id)).map((e) => [e.previous_status, e.current_status])).toEqual([
      ["pending", "expired"],
    ]);
    expect((await eventsOf(due.failed.id)).at(-1)).toMatchObject({ previous_status: "failed" });
    expect((await eventsOf(due.inProgress.id)).at(-1)).toMatchObject({ previous_status: "in_progress" });

    expect(await Promise.all(untouched.map((i) => readRow(i.id)))).toEqual(rowsBefore);
    expect(await Promise.all(untouched.map((i) => eventsOf(i.id)))).toEqual(eventsBefore);

    // Reads are the same before and after persisting: the sweep changes storage, not answers.
    const reader = callAt(() => sweepAt);
    const read = await getAt(reader, apiKey, due.pending.id);
    expect(read).toEqual({ ...due.pending, status: "expired", updatedAt: due.pending.expiresAt });

    // A second run at the same time finds nothing more and records nothing twice.
    expect(await runCron(sweepAt)).toBe(0);
    for (const invitation of Object.values(due)) {
      expect((await eventsOf(invitation.id)).filter((e) => e.current_status === "expired")).toHaveLength(1);
    }
  });

  it("sweepExpiredInvitations returns how many it expired", async () => {
    const { projectId } = await createProject();
    const time = Date.now() + 600 * DAY;
    const db = createDb(env.DB);
    await sweepExpiredInvitations(db, time); // whatever else is due by then
    await bulkInsertInvitations(
      projectId,
      Array.from({ length: 7 }, (_, i) => ({ createdAt: time - 10 * DAY, expiresAt: time - i })),
    );
    await bulkInsertInvitations(projectId, [{ createdAt: time - 10 * DAY, expiresAt: time + 1 }]);
    expect(await sweepExpiredInvitations(db, time)).toBe(7);
    expect(await sweepExpiredInvitations(db, time)).toBe(0);
  });

  it(`expires in bounded batches: at most ${SWEEP_BATCH_SIZE} x ${SWEEP_MAX_BATCHES} per run, the rest next run`, async () => {
    const { projectId } = await createProject();
    const cap = SWEEP_BATCH_SIZE * SWEEP_MAX_BATCHES;
    const overdue = cap + 1;
    expect(overdue).toBeGreaterThan(SWEEP_BATCH_SIZE);
    const time = Date.now() + 800 * DAY;
    await runCron(time); // clear whatever else is due by then

    const statuses = ["pending", "in_progress", "failed"] as const;
    const ids = await bulkInsertInvitations(
      projectId,
      Array.from({ length: overdue }, (_, i) => ({
        createdAt: time - 30 * DAY,
        expiresAt: time - 1 - (i % 1000),
        status: statuses[i % statuses.length],
      })),
    );
    const [notDue] = await bulkInsertInvitations(projectId, [{ createdAt: time - DAY, expiresAt: time + 1 }]);
    const count = async (status: string) =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations WHERE project_id = ? AND status = ?")
          .bind(projectId, status)
          .first<{ n: number }>()
      )?.n;
    const expiredEvents = async () =>
      (
        await env.DB.prepare(
          "SELECT COUNT(*) AS n FROM invitation_events WHERE project_id = ? AND current_status = 'expired'",
        )
          .bind(projectId)
          .first<{ n: number }>()
      )?.n;

    const started = performance.now();
    expect(await runCron(time)).toBe(cap);
    const firstRunMs = performance.now() - started;
    console.info(`sweep of ${cap} rows: ${Math.round(firstRunMs)} ms`);
    expect(await count("expired")).toBe(cap);
    expect(await expiredEvents()).toBe(cap);

    expect(await runCron(time)).toBe(overdue - cap);
    expect(await count("expired")).toBe(overdue);
    expect(await expiredEvents()).toBe(overdue);
    const mismatched = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM invitations WHERE project_id = ? AND status = 'expired' AND updated_at != expires_at",
    )
      .bind(projectId)
      .first<{ n: number }>();
    expect(mismatched?.n).toBe(0);
    expect(ids).toHaveLength(overdue);
    expect((await readRow(notDue as string)).status).toBe("pending");
    expect(await runCron(time)).toBe(0);
  }, 90_000);
});
