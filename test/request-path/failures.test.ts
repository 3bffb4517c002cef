import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { countInvitations } from "../support/db";
import { create, failing, LOST, logged } from "../support/faults";
import { instrumentedApp, instrumentedEnv } from "../support/instrumented-env";

// Each fault injected through the wrapped env (test/support/instrumented-env.ts), against the
// real local D1 and Durable Objects otherwise.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the rate limiter failing or slow", () => {
  it("an error from its Durable Object lets requests through, with a warning and the headers", async () => {
    const warn = vi.spyOn(console, "warn");
    const { apiKey, projectId } = await createProject();
    const { env: faulty } = instrumentedEnv({
      rateLimiter: () => Promise.reject(new Error("object overloaded")),
    });
    const fetchApp = instrumentedApp({}, faulty);
    const created = await fetchApp("/v1/invitations", { ...create(), apiKey });
    expect(created.status).toBe(201);
    expect(created.headers.get("X-RateLimit-Limit")).not.toBeNull();
    expect((await fetchApp("/v1/invitations", { apiKey })).status).toBe(200);
    expect((await fetchApp("/openapi.json")).status).toBe(200);
    expect(await countInvitations(projectId)).toBe(1);
    const warnings = logged(warn, "rate_limiter_unavailable");
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings[0]).toMatchObject({ reason: "error", error: "object overloaded" });
  });

  it("no answer within its 50 ms budget: the request goes ahead without waiting longer", async () => {
    const warn = vi.spyOn(console, "warn");
    const { apiKey } = await createProject();
    const never = () => new Promise<never>(() => {});
    const { env: slow } = instrumentedEnv({ rateLimiter: never });
    const fetchApp = instrumentedApp({ rateLimits: { budgetMs: 50 } }, slow);
    const started = Date.now();
    const res = await fetchApp("/v1/invitations", { apiKey });
    expect(res.status).toBe(200);
    // Two counter calls (key lookup, allowance), each given up after 50 ms.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(logged(warn, "rate_limiter_unavailable").map((w) => w.reason)).toEqual(["timeout", "timeout"]);
  });
});

describe("D1 failures on reads", () => {
  it("a transient error on a read is retried once, with a warning", async () => {
    const warn = vi.spyOn(console, "warn");
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    const { env: faulty } = instrumentedEnv({
      d1: failing((sql) => sql[0]?.startsWith('select "id"') === true, LOST, 1),
    });
    const res = await instrumentedApp({}, faulty)(`/v1/invitations/${id}`, { apiKey });
    expect(res.status).toBe(200);
    expect(logged(warn, "d1_read_retried")).toHaveLength(1);
  });

  it("a write is not retried: a transient error on create is a 500 and one attempt", async () => {
    const { apiKey, projectId } = await createProject();
    const { env: faulty, calls } = instrumentedEnv({
      d1: ({ sql }) =>
        sql[0]?.startsWith('insert into "invitations"')
          ? Promise.reject(new Error("D1_ERROR: Network connection lost."))
          : undefined,
    });
    const fetchApp = instrumentedApp({}, faulty);
    await expectError(await fetchApp("/v1/invitations", { ...create(), apiKey }), 500, "internal_error");
    expect(calls.filter((c) => c.sql.some((s) => s.startsWith('insert into "invitations"')))).toHaveLength(1);
    expect(await countInvitations(projectId)).toBe(0);
  });

  it("a non-transient error on a read is not retried", async () => {
    const { apiKey } = await createProject();
    const fault = failing((sql) => sql[0]?.startsWith('select "id"') === true, "D1_ERROR: no such column: x");
    const { env: faulty } = instrumentedEnv({ d1: fault });
    await expectError(
      await instrumentedApp({}, faulty)("/v1/invitations", { apiKey }),
      500,
      "internal_error",
    );
    expect(fault.state.attempts).toBe(1);
  });
});

describe("one undecryptable row", () => {
  it("is left out of its list page (logged), the rest of the page and paging are intact", async () => {
    const error = vi.spyOn(console, "error");
    const { apiKey, projectId } = await createProject();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createInvitation(apiKey, { clientName: `c${i}` })).id);
    const broken = ids[1] as string;
    // Sealed under a key id that ENCRYPTION_KEYS does not hold (a lost key).
    await env.DB.prepare("UPDATE invitations SET token_ciphertext = 'lost.AAAA.AAAA' WHERE id = ?")
      .bind(broken)
      .run();
    const fetchApp = appWith({});
    const page = await fetchApp("/v1/invitations?limit=2", { apiKey });
    expect(page.status).toBe(200);
    const first = (await page.json()) as { items: { id: string }[]; nextCursor: string | null };
    expect(first.items.map((i) => i.id)).toEqual([ids[2]]);
    expect(first.nextCursor).not.toBeNull();
    const rest = (await (
      await fetchApp(`/v1/invitations?limit=2&cursor=${first.nextCursor}`, { apiKey })
    ).json()) as { items: { id: string }[] };
    expect(rest.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(logged(error, "invitation_unreadable")).toEqual([
      expect.objectContaining({ projectId, invitationId: broken }),
    ]);
    // Its own GET cannot answer it: a 500, not a made-up token.
    await expectError(await fetchApp(`/v1/invitations/${broken}`, { apiKey }), 500, "internal_error");
  });
});

describe("Durable Object storage", () => {
  it("a counter forgets its window with an alarm once the window is over", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`ip:alarm-${crypto.randomUUID()}`));
    const now = Date.now();
    expect(await stub.take(5, 60_000, now, 2)).toMatchObject({ allowed: true, granted: 2, remaining: 3 });
    // The alarm is set for the window's end: run before it, it keeps the count.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.take(5, 60_000, now, 1)).toMatchObject({ remaining: 2 });
    // A window already over (its alarm due at once): its storage is deleted.
    const past = now - 120_000;
    const other = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`ip:alarm-${crypto.randomUUID()}`));
    expect(await other.take(5, 60_000, past, 1)).toMatchObject({ remaining: 4 });
    await runDurableObjectAlarm(other);
    // Counted again from zero: the stored window is gone.
    await vi.waitUntil(async () => (await other.take(5, 60_000, past, 1)).remaining === 4, {
      timeout: 2_000,
    });
  });
});
