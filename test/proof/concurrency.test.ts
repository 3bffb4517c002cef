import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import worker from "../../src/index";
import { addPhoneNumber, createProject } from "../support/api";
import { DAY_MS } from "./support/create-oracle";
import { eventsOf, invitationCount, invitationRow } from "./support/db";
import {
  BASE,
  cancelRequest,
  createRequest,
  dispatch,
  errorOf,
  invitationOf,
  type ProofRequest,
  type Sent,
  setupInvitation,
  type WireInvitation,
} from "./support/http";

/**
 * Races, run for real: many requests in flight at once against one local D1 (and one rate
 * limiter per project). What must hold is counted in the database afterwards: rows, events
 * (the trigger writes one per status change) and the responses each client got.
 */

async function tokenHashes(projectId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT token_hash FROM invitations WHERE project_id = ?")
    .bind(projectId)
    .all<{ token_hash: string }>();
  return results.map((r) => r.token_hash);
}

describe("concurrency", () => {
  it("200 parallel creates for one project: 200 distinct ids and tokens, exactly 200 rows", async () => {
    const { apiKey, projectId } = await createProject("Parallel");
    const sent = await Promise.all(
      Array.from({ length: 200 }, (_, i) => dispatch(createRequest(apiKey, { clientName: `c${i}` }))),
    );
    expect(sent.map((s) => s.res.status)).toEqual(Array(200).fill(201));
    const invitations = sent.map(invitationOf);
    expect(new Set(invitations.map((i) => i.id)).size).toBe(200);
    expect(new Set(invitations.map((i) => i.token)).size).toBe(200);
    expect(new Set(invitations.map((i) => i.clientName)).size).toBe(200);
    expect(await invitationCount(projectId)).toBe(200);
    expect(new Set(await tokenHashes(projectId)).size).toBe(200);
  }, 60_000);

  it("20 parallel cancels of one invitation: exactly one 200, the rest 400 invalid_state, one event", async () => {
    const { apiKey } = await createProject("Cancels");
    const inv = await setupInvitation(apiKey);
    const sent = await Promise.all(Array.from({ length: 20 }, () => dispatch(cancelRequest(apiKey, inv.id))));
    const ok = sent.filter((s) => s.res.status === 200);
    const refused = sent.filter((s) => s.res.status !== 200);
    expect(ok.length).toBe(1);
    expect(refused.length).toBe(19);
    for (const s of refused) {
      expect(s.res.status).toBe(400);
      expect(errorOf(s).code).toBe("invalid_state");
      expect(errorOf(s).details?.status).toBe("cancelled");
    }
    expect(invitationOf(ok[0] as Sent).status).toBe("cancelled");
    expect((await invitationRow(inv.id))?.status).toBe("cancelled");
    const events = await eventsOf(inv.id);
    expect(events.map((e) => `${e.previous_status}>${e.current_status}`)).toEqual(["pending>cancelled"]);
  }, 30_000);

  it("20 parallel creates holding one phone number: exactly one wins, the others 400 naming phoneNumberId", async () => {
    const { apiKey, projectId } = await createProject("Numbers");
    const phoneNumberId = await addPhoneNumber(projectId);
    const sent = await Promise.all(
      Array.from({ length: 20 }, () => dispatch(createRequest(apiKey, { phoneNumberId }))),
    );
    const ok = sent.filter((s) => s.res.status === 201);
    expect(ok.length).toBe(1);
    for (const s of sent.filter((x) => x.res.status !== 201)) {
      expect(s.res.status, s.text).toBe(400);
      expect(errorOf(s).code).toBe("invalid_request");
      expect(Object.keys((errorOf(s).details?.fields ?? {}) as object)).toContain("phoneNumberId");
    }
    const { results } = await env.DB.prepare("SELECT id FROM invitations WHERE phone_number_id = ?")
      .bind(phoneNumberId)
      .all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual([invitationOf(ok[0] as Sent).id]);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------

describe("concurrency: a partner's cancel racing the expiry sweep", () => {
  // Far in the past (2001), so that the sweep, whose clock these tests set, touches nothing but
  // the invitations made here.
  const EPOCH = Date.UTC(2001, 0, 1);

  async function at(now: number, req: ProofRequest): Promise<Sent> {
    const app = createApp({ now: () => now });
    const ctx = createExecutionContext();
    const headers = new Headers();
    for (const [n, v] of req.headers ?? []) headers.append(n, v);
    const res = await app.fetch(
      new Request(`${BASE}${req.path}`, { method: req.method, headers, body: req.body }),
      env,
      ctx,
    );
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    return { req, res, text, startedAt: now, endedAt: now };
  }

  async function sweep(scheduledTime: number): Promise<void> {
    const ctx = createExecutionContext();
    // The sweep logs one line per run; keep the output readable.
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/5 * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    } finally {
      log.mockRestore();
    }
  }

  /** The one consistent outcome: the cancel's answer, the row and the single event agree. */
  async function expectOneTerminalState(id: string, cancel: Sent, cancelAt: number, expiresAt: number) {
    const row = await invitationRow(id);
    const events = await eventsOf(id);
    expect(events.length, `events of ${id}: ${JSON.stringify(events)}`).toBe(1);
    const [event] = events;
    if (cancel.res.status === 200) {
      expect(invitationOf(cancel).status).toBe("cancelled");
      expect(row?.status).toBe("cancelled");
      expect(row?.cancelled_at).toBe(cancelAt);
      expect(row?.updated_at).toBe(cancelAt);
      expect(`${event?.previous_status}>${event?.current_status}`).toBe("pending>cancelled");
      expect(event?.created_at).toBe(cancelAt);
      return "cancelled";
    }
    expect(cancel.res.status, cancel.text).toBe(400);
    expect(errorOf(cancel).code).toBe("invalid_state");
    expect(errorOf(cancel).details?.status).toBe("expired");
    expect(row?.status).toBe("expired");
    expect(row?.cancelled_at).toBeNull();
    expect(row?.updated_at).toBe(expiresAt);
    expect(`${event?.previous_status}>${event?.current_status}`).toBe("pending>expired");
    expect(event?.created_at).toBe(expiresAt);
    return "expired";
  }

  it("20 rounds, one invitation each, cancel (just before expiresAt) and sweep (at expiresAt) at once: one terminal state, one event", async () => {
    const { apiKey } = await createProject("Race");
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const createdAt = EPOCH + round * 3 * DAY_MS;
      const created = await at(createdAt, createRequest(apiKey, { expiresInDays: 1 }));
      expect(created.res.status, created.text).toBe(201);
      const inv = invitationOf(created);
      const expiresAt = Date.parse(inv.expiresAt as string);
      expect(expiresAt).toBe(createdAt + DAY_MS);
      // Each on its own would win: the cancel runs while the invitation is open, the sweep
      // once it is overdue. The sweep starts 0 to 19 ms after the cancel, so that either may
      // reach the database first.
      const [cancelled] = await Promise.all([
        at(expiresAt - 1, cancelRequest(apiKey, inv.id)),
        sleep(round).then(() => sweep(expiresAt)),
      ]);
      outcomes.push(await expectOneTerminalState(inv.id, cancelled as Sent, expiresAt - 1, expiresAt));
    }
    console.info(`[proof/concurrency] cancel vs sweep, 20 rounds: ${JSON.stringify(count(outcomes))}`);
  }, 60_000);

  it("a burst: 20 invitations with one expiresAt, 20 cancels and 3 sweeps interleaved: each exactly one terminal state and one event", async () => {
    const { apiKey } = await createProject("Burst");
    const createdAt = EPOCH + 100 * DAY_MS;
    const invitations: WireInvitation[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await at(createdAt, createRequest(apiKey, { expiresInDays: 2 }));
      invitations.push(invitationOf(created));
    }
    const expiresAt = createdAt + 2 * DAY_MS;
    const [cancels] = await Promise.all([
      // Cancels start 0 to 19 ms apart, sweeps in between: some cancels land before a sweep,
      // some after, some while one runs.
      Promise.all(
        invitations.map((inv, i) => sleep(i).then(() => at(expiresAt - 1, cancelRequest(apiKey, inv.id)))),
      ),
      sleep(6).then(() => sweep(expiresAt)),
      sleep(12).then(() => sweep(expiresAt + 1)),
      sleep(20).then(() => sweep(expiresAt + 60_000)),
    ]);
    const outcomes: string[] = [];
    for (const [i, inv] of invitations.entries()) {
      outcomes.push(await expectOneTerminalState(inv.id, cancels[i] as Sent, expiresAt - 1, expiresAt));
    }
    console.info(`[proof/concurrency] burst: ${JSON.stringify(count(outcomes))}`);
  }, 60_000);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
