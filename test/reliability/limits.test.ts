import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalCounts } from "../../src/rate-limit/rate-limit.middleware";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { appWith } from "../support/app";
import { instrumentedApp, instrumentedEnv, type RemoteCall } from "../support/instrumented-env";

afterEach(() => vi.restoreAllMocks());

const MINUTE = 60_000;

describe("rate limits", () => {
  it("counts every /v1 request per project and answers 429 with Retry-After past the limit", async () => {
    const t0 = Date.UTC(2030, 0, 1, 12, 0, 10); // 10 s into a minute window
    let now = t0;
    const fetchApp = appWith({ now: () => now, rateLimits: { perProject: 3 } });
    const a = await createProject();
    const b = await createProject();

    const seen = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetchApp("/v1/invitations", { apiKey: a.apiKey });
      expect(res.status).toBe(200);
      seen.push(res.headers.get("X-RateLimit-Remaining"));
      expect(res.headers.get("X-RateLimit-Limit")).toBe("3");
      expect(res.headers.get("X-RateLimit-Reset")).toBe(String(Date.UTC(2030, 0, 1, 12, 1, 0)));
    }
    expect(seen).toEqual(["2", "1", "0"]);

    const limited = await fetchApp("/v1/invitations", { method: "POST", apiKey: a.apiKey });
    const body = await expectError(limited, 429, "rate_limited");
    expect(limited.headers.get("Retry-After")).toBe("50");
    expect(limited.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(body.details?.requestId).toBe(limited.headers.get("X-Request-Id"));

    // Another project has its own budget.
    expect((await fetchApp("/v1/invitations", { apiKey: b.apiKey })).status).toBe(200);

    // The next window starts afresh.
    now = t0 + MINUTE;
    const next = await fetchApp("/v1/invitations", { apiKey: a.apiKey });
    expect(next.status).toBe(200);
    expect(next.headers.get("X-RateLimit-Remaining")).toBe("2");
  });

  it("a rate-limited create creates nothing", async () => {
    const now = Date.UTC(2030, 0, 2, 0, 0, 0);
    const fetchApp = appWith({ now: () => now, rateLimits: { perProject: 1 } });
    const { apiKey } = await createProject();
    const init = { method: "POST", apiKey, headers: { "Content-Type": "application/json" }, body: "{}" };
    expect((await fetchApp("/v1/invitations", init)).status).toBe(201);
    await expectError(await fetchApp("/v1/invitations", init), 429, "rate_limited");
    const list = (await (await call("/v1/invitations", { apiKey })).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it("limits failed authentication and the invite page per client address", async () => {
    // Real time (the invitation below expires 7 days from now), 30 s into a minute window.
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
    const fetchApp = appWith({ now: () => now, rateLimits: { perAddress: 2 } });
    const from = (address: string) => ({ headers: { "CF-Connecting-IP": address } });
    const first = await fetchApp("/v1/invitations", from("198.51.100.7"));
    await expectError(first, 401, "unauthorized");
    expect(first.headers.get("X-RateLimit-Remaining")).toBe("1");
    await expectError(await fetchApp("/v1/invitations", from("198.51.100.7")), 401, "unauthorized");
    const third = await fetchApp("/v1/invitations", from("198.51.100.7"));
    await expectError(third, 429, "rate_limited");
    expect(Number(third.headers.get("Retry-After"))).toBe(30);
    // Another address is not affected.
    await expectError(await fetchApp("/v1/invitations", from("198.51.100.8")), 401, "unauthorized");

    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const path = `/invite/${invitation.token}`;
    for (const expected of [200, 200]) {
      const res = await fetchApp(path, from("203.0.113.9"));
      expect(res.status).toBe(expected);
      expect(res.headers.get("X-RateLimit-Limit")).toBe("2");
    }
    await expectError(await fetchApp(path, from("203.0.113.9")), 429, "rate_limited");
  });

  it("puts the rate-limit headers on every response, errors and docs included", async () => {
    const { apiKey } = await createProject();
    const responses = [
      await call("/v1/invitations", { apiKey }),
      await call("/v1/invitations/inv_missing", { apiKey }),
      await call("/v1/invitations", { method: "DELETE", apiKey }),
      await postJson("/v1/invitations", apiKey, { clientName: "x".repeat(70_000) }),
      await postJson("/v1/invitations", apiKey, { expiresInDays: 0 }),
      await call("/v1/invitations"),
      await call("/openapi.json"),
      await call("/docs"),
      await call("/nope"),
      await call(`/invite/${"A".repeat(43)}`),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 404, 405, 413, 400, 401, 200, 200, 404, 404]);
    for (const res of responses) {
      expect(Number(res.headers.get("X-RateLimit-Limit"))).toBeGreaterThan(0);
      expect(res.headers.get("X-RateLimit-Remaining")).toMatch(/^\d+$/);
      expect(Number(res.headers.get("X-RateLimit-Reset"))).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it("reads its limits from the environment", async () => {
    const { apiKey } = await createProject();
    const res = await call("/v1/invitations", { apiKey });
    expect(res.headers.get("X-RateLimit-Limit")).toBe("1000000"); // vitest.config.ts bindings
  });
});

describe("size and method limits", () => {
  it("refuses a body over 64 KiB with 413 before parsing it, creating nothing", async () => {
    const { apiKey } = await createProject();
    const big = JSON.stringify({ clientName: "x".repeat(64 * 1024) });
    await expectError(await postJson("/v1/invitations", apiKey, big), 413, "payload_too_large");
    // Not even valid JSON: still 413, since it is refused before it is parsed.
    const junk = "{".repeat(64 * 1024 + 1);
    await expectError(
      await call("/v1/invitations", {
        method: "POST",
        apiKey,
        headers: { "Content-Type": "application/json" },
        body: junk,
      }),
      413,
      "payload_too_large",
    );
    // Without a Content-Length (a stream), counted while read.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
        controller.close();
      },
    });
    const streamed = await call("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json" },
      body: stream,
      // @ts-expect-error: `duplex` is required by fetch for stream bodies but missing from the types.
      duplex: "half",
    });
    await expectError(streamed, 413, "payload_too_large");
    const list = (await (await call("/v1/invitations", { apiKey })).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
  });

  it("accepts a body just under the cap (and rejects it on its merits)", async () => {
    const { apiKey } = await createProject();
    const body = JSON.stringify({ clientName: "x".repeat(64 * 1024 - 20) });
    expect(body.length).toBeLessThanOrEqual(64 * 1024);
    const res = await call("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json" },
      body,
    });
    const error = await expectError(res, 400, "invalid_request");
    expect(Object.keys(error.details?.fields as object)).toEqual(["clientName"]);
  });

  it("answers an unknown method on a known path with 405 and Allow", async () => {
    const { apiKey } = await createProject();
    const cases: [string, string, string][] = [
      ["DELETE", "/v1/invitations", "GET, HEAD, POST"],
      ["PUT", "/v1/invitations/inv_123", "GET, HEAD"],
      ["GET", "/v1/invitations/inv_123/cancel", "POST"],
      ["PATCH", "/v1/invitations/inv_123/cancel", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method, apiKey });
      await expectError(res, 405, "method_not_allowed");
      expect(res.headers.get("Allow")).toBe(allow);
    }
    await expectError(await call("/openapi.json", { method: "POST" }), 405, "method_not_allowed");
    await expectError(await call("/v1/unknown", { apiKey }), 404, "not_found");
  });
});

describe("limits under abuse", () => {
  const from = (address: string, init: RequestInit & { apiKey?: string } = {}) => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), "CF-Connecting-IP": address },
  });
  const counterCalls = (calls: RemoteCall[]) => calls.filter((c) => c.kind === "do").length;

  it("after the counter's first refusal, the isolate refuses the address until the window ends without asking it", async () => {
    const t0 = Date.UTC(2030, 0, 3, 12, 0, 15);
    let now = t0;
    const { env: counted, calls } = instrumentedEnv();
    const fetchApp = instrumentedApp({ now: () => now, rateLimits: { perAddress: 2 } }, counted);
    const address = "198.51.100.41";
    expect((await fetchApp("/openapi.json", from(address))).status).toBe(200);
    expect((await fetchApp("/openapi.json", from(address))).status).toBe(200);
    expect(counterCalls(calls)).toBe(2);
    await expectError(await fetchApp("/openapi.json", from(address)), 429, "rate_limited");
    expect(counterCalls(calls)).toBe(3);
    // The flood: refused, with the window's Retry-After, and not one more call to the counter,
    // whether on the page or as key lookups (one counter per address).
    calls.length = 0;
    for (let i = 0; i < 5; i++) {
      now = t0 + i * 1_000;
      const refused = await fetchApp("/openapi.json", from(address));
      await expectError(refused, 429, "rate_limited");
      expect(refused.headers.get("Retry-After")).toBe(String(45 - i));
      await expectError(
        await fetchApp("/v1/invitations", from(address, { apiKey: `zv_live_${"y".repeat(48)}` })),
        429,
        "rate_limited",
      );
    }
    expect(counterCalls(calls)).toBe(0);
    // Another address asks its own counter.
    expect((await fetchApp("/openapi.json", from("198.51.100.42"))).status).toBe(200);
    expect(counterCalls(calls)).toBe(1);
    // The next window asks again.
    now = Date.UTC(2030, 0, 3, 12, 1, 0);
    calls.length = 0;
    expect((await fetchApp("/openapi.json", from(address))).status).toBe(200);
    expect(counterCalls(calls)).toBe(1);
  });

  it("failed key lookups and a project past its limit are remembered the same way", async () => {
    const now = Date.UTC(2030, 0, 3, 13, 0, 30);
    const { env: counted, calls } = instrumentedEnv();
    const fetchApp = instrumentedApp(
      { now: () => now, rateLimits: { perAddress: 1, perProject: 2 } },
      counted,
    );
    const address = "198.51.100.43";
    await expectError(await fetchApp("/v1/invitations", from(address)), 401, "unauthorized");
    await expectError(await fetchApp("/v1/invitations", from(address)), 429, "rate_limited");
    calls.length = 0;
    for (let i = 0; i < 3; i++) {
      await expectError(await fetchApp("/v1/invitations", from(address)), 429, "rate_limited");
    }
    expect(counterCalls(calls)).toBe(0);

    const { apiKey } = await createProject();
    const client = from("198.51.100.44", { apiKey });
    expect((await fetchApp("/v1/invitations", client)).status).toBe(200);
    expect((await fetchApp("/v1/invitations", client)).status).toBe(200);
    await expectError(await fetchApp("/v1/invitations", client), 429, "rate_limited");
    calls.length = 0;
    for (let i = 0; i < 3; i++) {
      await expectError(await fetchApp("/v1/invitations", client), 429, "rate_limited");
    }
    expect(counterCalls(calls)).toBe(0);
  });

  it("with the counter failing, requests without an API key are limited per isolate at the same figure", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    // Real time (the invitation expires 7 days from now), 20 s into a minute window.
    const now = Math.floor(Date.now() / MINUTE) * MINUTE + 20_000;
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const { env: down, calls } = instrumentedEnv({
      rateLimiter: () => Promise.reject(new Error("object overloaded")),
    });
    const fetchApp = instrumentedApp({ now: () => now, rateLimits: { perAddress: 3 } }, down);

    // The invite page: 3 a minute, then 429 until the window ends; the counter is not asked again.
    const page = `/invite/${invitation.token}`;
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetchApp(page, from("203.0.113.50"));
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("X-RateLimit-Remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await fetchApp(page, from("203.0.113.50"));
    await expectError(refused, 429, "rate_limited");
    expect(refused.headers.get("Retry-After")).toBe("40");
    const asked = counterCalls(calls);
    await expectError(
      await fetchApp(`${page}/start`, from("203.0.113.50", { method: "POST" })),
      429,
      "rate_limited",
    );
    expect(counterCalls(calls)).toBe(asked);

    // Failed authentication: the same.
    const bad = from("203.0.113.51", { apiKey: `zv_live_${"z".repeat(48)}` });
    for (let i = 0; i < 3; i++)
      await expectError(await fetchApp("/v1/invitations", bad), 401, "unauthorized");
    await expectError(await fetchApp("/v1/invitations", bad), 429, "rate_limited");

    // Another address has its own count; a project's requests still go ahead (fail open).
    expect((await fetchApp(page, from("203.0.113.52"))).status).toBe(200);
    const client = from("203.0.113.53", { apiKey });
    for (let i = 0; i < 5; i++) expect((await fetchApp("/v1/invitations", client)).status).toBe(200);
    expect(warn).toHaveBeenCalled();
  });

  it("with the counter too slow, the same per-isolate limit holds", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const now = Date.UTC(2030, 0, 3, 15, 0, 0);
    const { env: slow } = instrumentedEnv({ rateLimiter: () => new Promise<never>(() => {}) });
    const fetchApp = instrumentedApp({ now: () => now, rateLimits: { perAddress: 2, budgetMs: 20 } }, slow);
    expect((await fetchApp("/openapi.json", from("203.0.113.60"))).status).toBe(200);
    expect((await fetchApp("/openapi.json", from("203.0.113.60"))).status).toBe(200);
    await expectError(await fetchApp("/openapi.json", from("203.0.113.60")), 429, "rate_limited");
  });

  it("the per-isolate counts keep at most their bound of addresses", () => {
    const counts = new LocalCounts(3);
    const now = Date.UTC(2030, 0, 3, 16, 0, 0);
    for (const address of ["a", "b", "c", "d", "e"])
      expect(counts.take(address, 1, MINUTE, now).allowed).toBe(true);
    expect(counts.size).toBe(3);
    expect(counts.take("e", 1, MINUTE, now).allowed).toBe(false);
    // "a" was forgotten (the oldest): counted afresh.
    expect(counts.take("a", 1, MINUTE, now).allowed).toBe(true);
    // A new window starts afresh.
    expect(counts.take("e", 1, MINUTE, now + MINUTE).allowed).toBe(true);
  });
});
