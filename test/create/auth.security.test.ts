import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS } from "../../src/middleware/auth";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { countInvitations, expectRequestId, invitationRow } from "./helpers";

// Bearer auth on every /v1 route: what is refused, how, and that a refused request does nothing.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomBase62(length: number): string {
  return [...crypto.getRandomValues(new Uint8Array(length))].map((b) => BASE62[b % 62]).join("");
}

async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function revoke(keyId: string) {
  const result = await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?")
    .bind(Date.now(), keyId)
    .run();
  expect(result.meta.changes).toBe(1);
}

const ROUTES: { method: string; path: string; body?: string }[] = [
  { method: "POST", path: "/v1/invitations", body: JSON.stringify({ clientName: "Acme Corp" }) },
  { method: "GET", path: "/v1/invitations" },
  { method: "GET", path: "/v1/invitations/inv_x" },
  { method: "POST", path: "/v1/invitations/inv_x/cancel" },
];

/** Each returns the Authorization header to send (undefined: none). */
const CREDENTIALS: { name: string; authorization: () => Promise<string | undefined> }[] = [
  { name: "no Authorization header", authorization: async () => undefined },
  { name: '"Bearer" with nothing after it', authorization: async () => "Bearer" },
  { name: '"Bearer " and spaces', authorization: async () => "Bearer    " },
  { name: "Basic credentials", authorization: async () => "Basic xyz" },
  { name: "a key of the wrong format", authorization: async () => "Bearer zv_live_short" },
  {
    name: "a well-formed unknown key",
    authorization: async () => `Bearer zv_live_${randomBase62(48)}`,
  },
  {
    name: "a valid key without the Bearer scheme",
    authorization: async () => (await createProject()).apiKey,
  },
  {
    name: "a revoked key",
    authorization: async () => {
      const { apiKey, keyId } = await createProject();
      await revoke(keyId);
      return `Bearer ${apiKey}`;
    },
  },
];

describe("/v1 routes refuse requests without a valid API key: 401 unauthorized", () => {
  for (const route of ROUTES) {
    for (const credential of CREDENTIALS) {
      it(`${route.method} ${route.path} with ${credential.name}`, async () => {
        const authorization = await credential.authorization();
        const headers = new Headers();
        if (authorization !== undefined) headers.set("Authorization", authorization);
        if (route.body !== undefined) headers.set("Content-Type", "application/json");
        const before = await countInvitations();

        const res = await call(route.path, { method: route.method, headers, body: route.body });

        const body = await expectError(res, 401, "unauthorized");
        expectRequestId(res, body);
        expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
        expect(await countInvitations()).toBe(before);
      });
    }
  }

  it("a revoked key cannot cancel its project's invitation, nor read it", async () => {
    const { apiKey, keyId, projectId } = await createProject();
    const inv = await createInvitation(apiKey, { clientName: "Acme Corp" });
    await revoke(keyId);
    // An isolate that used the key recently trusts it for KEY_CACHE_TTL_MS: a fresh app has
    // not, so the revocation shows at once (the next test covers the cached case).
    const call = appWith({});

    const cancel = await call(`/v1/invitations/${inv.id}/cancel`, { method: "POST", apiKey });
    expect(cancel.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
    expectRequestId(cancel, await expectError(cancel, 401, "unauthorized"));
    const get = await call(`/v1/invitations/${inv.id}`, { apiKey });
    await expectError(get, 401, "unauthorized");
    const create = await call("/v1/invitations", { method: "POST", apiKey });
    await expectError(create, 401, "unauthorized");

    const row = await invitationRow(inv.id);
    expect(row.status).toBe("pending");
    expect(row.cancelled_at).toBeNull();
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("the same key works until it is revoked, and at most KEY_CACHE_TTL_MS longer where it was just used", async () => {
    const { apiKey, keyId } = await createProject();
    let now = Date.now();
    const fetchApp = appWith({ now: () => now });
    expect((await fetchApp("/v1/invitations", { apiKey })).status).toBe(200);
    await revoke(keyId);
    // This isolate looked the key up a moment ago: it trusts that answer until the TTL ends.
    now += KEY_CACHE_TTL_MS - 1;
    expect((await fetchApp("/v1/invitations", { apiKey })).status).toBe(200);
    now += 1;
    await expectError(await fetchApp("/v1/invitations", { apiKey }), 401, "unauthorized");
    // Another isolate (a fresh app) that never saw the key refuses it at once.
    await expectError(await appWith({})("/v1/invitations", { apiKey }), 401, "unauthorized");
  });
});

describe("API keys are stored as SHA-256 only", () => {
  it("the api_keys row holds no plaintext key, and key_hash is SHA-256 (hex) of the key", async () => {
    const { apiKey, keyId } = await createProject();
    expect(apiKey).toMatch(/^zv_live_[0-9A-Za-z]{48}$/);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(keyId).first();
    expect(row).not.toBeNull();
    for (const [column, value] of Object.entries(row ?? {})) {
      if (value === null) continue;
      expect(String(value), column).not.toContain(apiKey);
      // Nor the secret part without its public prefix.
      expect(String(value), column).not.toContain(apiKey.slice("zv_live_".length));
    }
    expect(row?.key_hash).toBe(await sha256Hex(apiKey));
  });

  it("a key is found by the SHA-256 of what is sent: a row holding only the hash authenticates it", async () => {
    const { projectId } = await createProject();
    const key = `zv_live_${randomBase62(48)}`;
    await expectError(await call("/v1/invitations", { apiKey: key }), 401, "unauthorized");
    await env.DB.prepare(
      "INSERT INTO api_keys (id, project_id, key_hash, key_prefix, name, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL, ?, NULL)",
    )
      .bind(
        `key_test${randomBase62(20).toLowerCase()}`,
        projectId,
        await sha256Hex(key),
        key.slice(0, 12),
        Date.now(),
      )
      .run();

    const inv = await createInvitation(key, { clientName: "Hashed" });
    const row = await invitationRow(inv.id);
    expect(row.project_id).toBe(projectId);
    // A different key of the right format still fails.
    const other = `${key.slice(0, -1)}${key.endsWith("a") ? "b" : "a"}`;
    await expectError(await call("/v1/invitations", { apiKey: other }), 401, "unauthorized");
  });
});

describe("routes outside /v1", () => {
  it("/openapi.json needs no auth", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it("/openapi.json ignores an Authorization header, even an invalid one", async () => {
    const res = await call("/openapi.json", { headers: { Authorization: "Bearer zv_live_short" } });
    expect(res.status).toBe(200);
  });

  it("/docs needs no auth", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("GET /nope → 404 not_found in the Error shape", async () => {
    const res = await call("/nope");
    expectRequestId(res, await expectError(res, 404, "not_found"));
  });

  it("GET /v1/nope with a valid key → 404 not_found in the Error shape", async () => {
    const { apiKey } = await createProject();
    const res = await call("/v1/nope", { apiKey });
    expectRequestId(res, await expectError(res, 404, "not_found"));
  });
});
