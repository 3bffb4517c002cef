import { describe, expect, it } from "vitest";
import { addressSubject, expandIPv6 } from "../../src/rate-limit/client-address";
import { createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { oneWindowClock } from "../support/clock";
import { instrumentedApp, instrumentedEnv } from "../support/instrumented-env";

// The per-address limit (failed authentication, routes outside /v1): charged before the key
// lookup, and an IPv6 address counted by its /64.

const from = (address: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), "CF-Connecting-IP": address },
});

describe("failed-auth limits are counted before the key lookup", () => {
  it("past the address's budget: 429 with no D1 lookup, even for a valid key", async () => {
    const { apiKey } = await createProject();
    const { env: counted, calls } = instrumentedEnv();
    const fetchApp = instrumentedApp({ now: oneWindowClock(), rateLimits: { perAddress: 2 } }, counted);
    const address = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const bad = `zv_live_${"x".repeat(48)}`;
    await expectError(
      await fetchApp("/v1/invitations", { ...from(address), apiKey: bad }),
      401,
      "unauthorized",
    );
    await expectError(
      await fetchApp("/v1/invitations", { ...from(address), apiKey: bad }),
      401,
      "unauthorized",
    );
    calls.length = 0;
    const refused = await fetchApp("/v1/invitations", { ...from(address), apiKey });
    await expectError(refused, 429, "rate_limited");
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(calls.filter((c) => c.kind === "d1")).toEqual([]);
    // Another address with the same key is served.
    expect((await fetchApp("/v1/invitations", { ...from("203.0.113.77"), apiKey })).status).toBe(200);
  });

  it("a key this isolate already knows is refused too while its address is over", async () => {
    const { apiKey } = await createProject();
    const fetchApp = appWith({ now: oneWindowClock(), rateLimits: { perAddress: 2 } });
    const address = `198.51.100.${Math.floor(Math.random() * 250)}`;
    expect((await fetchApp("/v1/invitations", { ...from(address), apiKey })).status).toBe(200);
    await expectError(
      await fetchApp("/v1/invitations", { ...from(address), apiKey: "nope" }),
      401,
      "unauthorized",
    );
    await expectError(
      await fetchApp("/v1/invitations", { ...from(address), apiKey: "nope" }),
      429,
      "rate_limited",
    );
    await expectError(await fetchApp("/v1/invitations", { ...from(address), apiKey }), 429, "rate_limited");
  });
});

describe("IPv6 addresses are limited by their /64", () => {
  it("normalizes the forms of one address and keeps the first four groups", () => {
    expect(expandIPv6("2001:db8::1")).toEqual(["2001", "db8", "0", "0", "0", "0", "0", "1"]);
    expect(addressSubject("2001:0DB8:0000:0000:aaaa::1")).toBe("2001:db8:0:0::/64");
    expect(addressSubject("2001:db8::ffff:1")).toBe("2001:db8:0:0::/64");
    expect(addressSubject("::ffff:192.0.2.1")).toBe("0:0:0:0::/64");
    expect(addressSubject("198.51.100.7")).toBe("198.51.100.7");
    expect(addressSubject(undefined)).toBe("unknown");
    expect(expandIPv6("1::2::3")).toBeNull();
    expect(expandIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(expandIPv6("12345::")).toBeNull();
  });

  it("two addresses of one /64 share a budget; another /64 has its own", async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    const fetchApp = appWith({ now: oneWindowClock(), rateLimits: { perAddress: 2 } });
    expect((await fetchApp("/openapi.json", from(`${prefix}::1`))).status).toBe(200);
    expect((await fetchApp("/openapi.json", from(`${prefix}:ffff:ffff:ffff:ffff`))).status).toBe(200);
    await expectError(await fetchApp("/openapi.json", from(`${prefix}::abcd`)), 429, "rate_limited");
    expect((await fetchApp("/openapi.json", from(`${prefix.slice(0, -1)}2::1`))).status).toBe(200);
  });
});
