import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { apiKeys, onboardingAttempts, senders } from "../../src/db/schema";
import { base64ToBytes, decryptSecret, hmacSha256Hex, sha256Hex } from "../../src/lib/crypto";
import { createFakeMeta, FAKE_PAGES, FAKE_PHONE_NUMBER_ID, type FakeMeta } from "../../src/meta/fake";
import { findPin } from "../../src/onboarding/pins";
import { newApiKey } from "../../src/projects/provisioning";
import { code, harness } from "../onboarding/support";
import { createProject, type TestProject } from "../support/api";
import { eventsOf, invitationCount, invitationRow } from "./support/db";
import {
  bearer,
  dispatch,
  type ProofRequest,
  type Sent,
  setupInvitation,
  type WireInvitation,
} from "./support/http";

/**
 * Access control on every /v1 route, and what a copy of the database gives away: nothing
 * usable. API keys are stored as hashes, invitation tokens as a keyed hash plus AES-GCM
 * ciphertext, remembered idempotent responses encrypted.
 */

const JSON_HEADER: [string, string] = ["Content-Type", "application/json"];
const errorOf = (sent: Sent) => JSON.parse(sent.text) as { code: string; details?: Record<string, unknown> };

type Route = "create" | "list" | "get" | "cancel";
const ROUTES: Route[] = ["create", "list", "get", "cancel"];

function routeRequest(route: Route, invitationId: string, authorization: [string, string][]): ProofRequest {
  switch (route) {
    case "create":
      return {
        method: "POST",
        path: "/v1/invitations",
        headers: [...authorization, JSON_HEADER],
        body: '{"clientName":"x"}',
      };
    case "list":
      return { method: "GET", path: "/v1/invitations", headers: authorization };
    case "get":
      return { method: "GET", path: `/v1/invitations/${invitationId}`, headers: authorization };
    case "cancel":
      return { method: "POST", path: `/v1/invitations/${invitationId}/cancel`, headers: authorization };
  }
}

/** A second key for `project`, revoked through SQL as an operator would. */
async function revokedKeyOf(project: TestProject): Promise<string> {
  const key = await newApiKey(project.projectId, Date.now(), "revoked");
  await createDb(env.DB).insert(apiKeys).values(key.row);
  await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), key.row.id).run();
  return key.apiKey;
}

describe("access to every /v1 route", () => {
  it("no key: 401 on create, list, get and cancel, and nothing changes", { timeout: 30_000 }, async () => {
    const owner = await createProject("Owner");
    const inv = await setupInvitation(owner.apiKey);
    for (const route of ROUTES) {
      const sent = await dispatch(routeRequest(route, inv.id, []));
      expect(sent.res.status, `${route}: ${sent.text}`).toBe(401);
      expect(errorOf(sent).code).toBe("unauthorized");
      expect(sent.res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    expect(await invitationCount(owner.projectId)).toBe(1);
    expect((await invitationRow(inv.id))?.status).toBe("pending");
  });

  it("a revoked key: 401 on every route; the project's other, active key still works", {
    timeout: 30_000,
  }, async () => {
    const owner = await createProject("Owner");
    const inv = await setupInvitation(owner.apiKey);
    const revoked = await revokedKeyOf(owner);
    for (const route of ROUTES) {
      const sent = await dispatch(routeRequest(route, inv.id, [bearer(revoked)]));
      expect(sent.res.status, `${route}: ${sent.text}`).toBe(401);
      expect(errorOf(sent).code).toBe("unauthorized");
    }
    expect(await invitationCount(owner.projectId)).toBe(1);
    expect((await invitationRow(inv.id))?.status).toBe("pending");
    // The control: the same requests with the active key pass, so the 401s above were the
    // revocation and nothing else.
    const get = await dispatch(routeRequest("get", inv.id, [bearer(owner.apiKey)]));
    expect(get.res.status, get.text).toBe(200);
  });

  it("another project's key: 404 for get and cancel of this project's invitation, list shows none, create lands in the other project", {
    timeout: 30_000,
  }, async () => {
    const owner = await createProject("Owner");
    const stranger = await createProject("Stranger");
    const mine = [
      await setupInvitation(owner.apiKey),
      await setupInvitation(owner.apiKey, { clientName: "b" }),
    ];
    const theirs = await setupInvitation(stranger.apiKey);
    const as = [bearer(stranger.apiKey)];
    for (const inv of mine) {
      const get = await dispatch(routeRequest("get", inv.id, as));
      expect(get.res.status, get.text).toBe(404);
      expect(errorOf(get).code).toBe("not_found");
      const cancel = await dispatch(routeRequest("cancel", inv.id, as));
      expect(cancel.res.status, cancel.text).toBe(404);
      expect(errorOf(cancel).code).toBe("not_found");
      // Same answer as an id that does not exist: existence is not revealed.
      const missing = await dispatch(routeRequest("get", `${inv.id}x`, as));
      expect(errorOf(missing).code).toBe(errorOf(get).code);
      expect((await invitationRow(inv.id))?.status).toBe("pending");
      expect(await eventsOf(inv.id)).toEqual([]);
    }
    const list = await dispatch(routeRequest("list", "", as));
    expect(list.res.status).toBe(200);
    const ids = (JSON.parse(list.text) as { items: WireInvitation[] }).items.map((i) => i.id);
    expect(ids).toEqual([theirs.id]);
    for (const inv of mine) expect(list.text).not.toContain(inv.id);

    const created = await dispatch(routeRequest("create", "", as));
    expect(created.res.status, created.text).toBe(201);
    const row = await invitationRow(
      (JSON.parse(created.text) as { invitation: WireInvitation }).invitation.id,
    );
    expect(row?.project_id).toBe(stranger.projectId);
    expect(await invitationCount(owner.projectId)).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------

const FRAGMENT = 16;
const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A secret and the encodings of it that a careless store might hold. */
function encodingsOf(secret: string, kind: "apiKey" | "token"): string[] {
  const out = [secret, hex(encoder.encode(secret)), btoa(secret), secret.toUpperCase(), secret.toLowerCase()];
  if (kind === "token") {
    const raw = base64ToBytes(secret); // the token's 32 random bytes
    out.push(hex(raw), btoa(String.fromCharCode(...raw)));
  }
  return out;
}

type Cell = { table: string; column: string; value: string };

async function dumpDatabase(): Promise<{ cells: Cell[]; tables: string[]; unreadable: string[] }> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  ).all<{ name: string }>();
  const cells: Cell[] = [];
  const unreadable: string[] = [];
  for (const { name } of tables) {
    let rows: Record<string, unknown>[];
    try {
      rows = (
        await env.DB.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all<Record<string, unknown>>()
      ).results;
    } catch {
      unreadable.push(name);
      continue;
    }
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const text =
          value instanceof ArrayBuffer
            ? hex(new Uint8Array(value))
            : Array.isArray(value)
              ? hex(Uint8Array.from(value as number[]))
              : String(value);
        cells.push({ table: name, column, value: text });
      }
    }
  }
  return { cells, tables: tables.map((t) => t.name), unreadable };
}

describe("a copy of the database", () => {
  it("holds no API key, no invitation token and no 16+ character fragment of one, in any table, in any usual encoding", {
    timeout: 30_000,
  }, async () => {
    // Keys (active and revoked), invitations (open and cancelled), remembered idempotent
    // responses (creates and cancels) and a few rejected requests, across projects.
    const projects = [await createProject("At rest A"), await createProject("At rest B")];
    const apiKeySecrets = projects.map((p) => p.apiKey);
    for (const p of projects) apiKeySecrets.push(await revokedKeyOf(p));
    const tokens: string[] = [];
    const invitationIds: string[] = [];
    for (const [i, p] of projects.entries()) {
      for (let n = 0; n < 3; n++) {
        const inv = await setupInvitation(p.apiKey, { clientName: `client ${i}.${n}` });
        tokens.push(inv.token);
        invitationIds.push(inv.id);
      }
      const idem = await dispatch({
        method: "POST",
        path: "/v1/invitations",
        headers: [bearer(p.apiKey), JSON_HEADER, ["Idempotency-Key", `at-rest-${i}`]],
        body: '{"clientName":"idempotent"}',
      });
      expect(idem.res.status, idem.text).toBe(201);
      const replay = await dispatch(idem.req);
      expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
      const idemInv = (JSON.parse(idem.text) as { invitation: WireInvitation }).invitation;
      tokens.push(idemInv.token);
      invitationIds.push(idemInv.id);
      const cancel = await dispatch({
        method: "POST",
        path: `/v1/invitations/${idemInv.id}/cancel`,
        headers: [bearer(p.apiKey), ["Idempotency-Key", `at-rest-cancel-${i}`]],
      });
      expect(cancel.res.status, cancel.text).toBe(200);
      // Requests that fail carry the key too: a 401 with a wrong key, a 400 with a body.
      await dispatch({
        method: "GET",
        path: "/v1/invitations",
        headers: [bearer(`${p.apiKey.slice(0, -1)}x`)],
      });
      await dispatch({
        method: "POST",
        path: "/v1/invitations",
        headers: [bearer(p.apiKey), JSON_HEADER, ["Idempotency-Key", `at-rest-bad-${i}`]],
        body: '{"clientName":1}',
      });
      // The invite page, visited: marks the link viewed.
      const page = await dispatch({ method: "GET", path: `/invite/${tokens[tokens.length - 2]}` });
      expect(page.res.status).toBe(200);
    }

    const { cells, tables, unreadable } = await dumpDatabase();
    for (const required of ["api_keys", "invitations", "invitation_events", "idempotency_keys", "projects"]) {
      expect(tables).toContain(required);
    }
    // Only the runtime's own metadata tables may refuse a read; every table of the app is read.
    expect(unreadable.filter((t) => !t.startsWith("_cf_"))).toEqual([]);
    expect(cells.filter((c) => c.table === "idempotency_keys").length).toBeGreaterThan(0);

    const fragments = new Map<string, string>();
    const secrets: [string, "apiKey" | "token"][] = [
      ...apiKeySecrets.map((k) => [k, "apiKey"] as [string, "apiKey"]),
      ...tokens.map((t) => [t, "token"] as [string, "token"]),
    ];
    for (const [secret, kind] of secrets) {
      for (const encoded of encodingsOf(secret, kind)) {
        for (let i = 0; i + FRAGMENT <= encoded.length; i++) {
          fragments.set(encoded.slice(i, i + FRAGMENT), `${kind} ${secret.slice(0, 6)}…`);
        }
      }
    }
    const leaksIn = (scanned: Cell[]) => {
      const leaks: string[] = [];
      for (const cell of scanned) {
        for (let i = 0; i + FRAGMENT <= cell.value.length; i++) {
          const owner = fragments.get(cell.value.slice(i, i + FRAGMENT));
          if (owner) {
            leaks.push(`${cell.table}.${cell.column} holds a fragment of ${owner}`);
            break;
          }
        }
      }
      return leaks;
    };
    // Controls: the dump did read the rows, and the scan does find a planted fragment.
    for (const id of invitationIds)
      expect(cells.some((c) => c.table === "invitations" && c.value === id)).toBe(true);
    const planted = (tokens[0] as string).slice(10, 10 + FRAGMENT);
    expect(leaksIn([{ table: "t", column: "c", value: `x${planted}y` }])).toHaveLength(1);
    expect(
      leaksIn([{ table: "t", column: "c", value: hex(encoder.encode(apiKeySecrets[0] as string)) }]),
    ).toHaveLength(1);
    const leaks = leaksIn(cells);
    console.info(
      `[proof/at-rest] scanned ${cells.length} cells of ${tables.join(", ")}; unreadable: ${unreadable.join(", ") || "none"}`,
    );
    expect(leaks).toEqual([]);

    // An unkeyed hash of a token would let a dump confirm a guessed token: none anywhere.
    const unkeyed = new Set(await Promise.all(tokens.map((t) => sha256Hex(t))));
    expect(cells.filter((c) => unkeyed.has(c.value)).map((c) => `${c.table}.${c.column}`)).toEqual([]);

    // The remembered responses are not plaintext: no JSON, no invitation id, no token.
    const remembered = cells.filter(
      (c) => c.table === "idempotency_keys" && c.column === "response_body_ciphertext",
    );
    expect(remembered.length).toBeGreaterThanOrEqual(4);
    for (const cell of remembered) {
      expect(cell.value).not.toMatch(/[{}"]/);
      for (const id of invitationIds) expect(cell.value).not.toContain(id);
      // …and they open with the service's key, and hold the token then.
      const plain = await decryptSecret(
        env.ENCRYPTION_KEYS,
        cell.value,
        "idempotency_keys.response_body_ciphertext",
      );
      expect(() => JSON.parse(plain)).not.toThrow();
    }
    const opened = await Promise.all(
      remembered.map((c) =>
        decryptSecret(env.ENCRYPTION_KEYS, c.value, "idempotency_keys.response_body_ciphertext"),
      ),
    );
    expect(tokens.filter((t) => opened.some((p) => p.includes(t))).length).toBe(projects.length);
  });

  it("token_hash is keyed (not SHA-256 of the token); token_ciphertext opens to the token with the key and with no other", {
    timeout: 30_000,
  }, async () => {
    const { apiKey } = await createProject("Crypto");
    const invitations = [
      await setupInvitation(apiKey),
      await setupInvitation(apiKey),
      await setupInvitation(apiKey),
    ];
    // Same id, another 32-byte key; and another id altogether.
    const otherKeySameId = `test1:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    const otherId = `other:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    const ciphertexts = new Set<string>();
    for (const inv of invitations) {
      const row = await invitationRow(inv.id);
      if (!row) throw new Error("row missing");
      expect(row.token_hash).not.toBe(await sha256Hex(inv.token));
      expect(row.token_hash).not.toContain(inv.token);
      // Keyed: the service's key reproduces it, another key does not.
      expect(row.token_hash).toBe(await hmacSha256Hex(env.TOKEN_HASH_KEY, inv.token));
      expect(row.token_hash).not.toBe(
        await hmacSha256Hex(btoa("another key, 32 bytes long......"), inv.token),
      );

      expect(
        await decryptSecret(env.ENCRYPTION_KEYS, row.token_ciphertext, "invitations.token_ciphertext"),
      ).toBe(inv.token);
      await expect(
        decryptSecret(otherKeySameId, row.token_ciphertext, "invitations.token_ciphertext"),
      ).rejects.toThrow();
      await expect(
        decryptSecret(otherId, row.token_ciphertext, "invitations.token_ciphertext"),
      ).rejects.toThrow();
      ciphertexts.add(row.token_ciphertext);
    }
    // A fresh IV each time: no two ciphertexts alike.
    expect(ciphertexts.size).toBe(invitations.length);

    // The same for a remembered idempotent response.
    const idem = await dispatch({
      method: "POST",
      path: "/v1/invitations",
      headers: [bearer(apiKey), JSON_HEADER, ["Idempotency-Key", "crypto-1"]],
      body: "{}",
    });
    const token = (JSON.parse(idem.text) as { invitation: WireInvitation }).invitation.token;
    const stored = await env.DB.prepare(
      "SELECT response_body_ciphertext AS c FROM idempotency_keys WHERE key = 'crypto-1'",
    ).first<{ c: string }>();
    if (!stored) throw new Error("no remembered response");
    expect(stored.c).not.toContain(token);
    expect(
      await decryptSecret(env.ENCRYPTION_KEYS, stored.c, "idempotency_keys.response_body_ciphertext"),
    ).toBe(idem.text);
    await expect(
      decryptSecret(otherKeySameId, stored.c, "idempotency_keys.response_body_ciphertext"),
    ).rejects.toThrow();
    await expect(
      decryptSecret(otherId, stored.c, "idempotency_keys.response_body_ciphertext"),
    ).rejects.toThrow();
  });
});

describe("a copy of the database, after clients connected through Meta", () => {
  it("holds no business token, Page token or registration PIN; they are sealed and open with the key", {
    timeout: 30_000,
  }, async () => {
    // Every token Meta (the fake) hands out, read off its answers as the Worker receives them.
    const fake = createFakeMeta();
    const minted: string[] = [];
    const recording: FakeMeta = {
      ...fake,
      fetch: async (request) => {
        const res = await fake.fetch(request);
        const text = await res.clone().text();
        for (const match of text.matchAll(/"access_token":"([^"]+)"/g)) if (match[1]) minted.push(match[1]);
        return res;
      },
    };
    const h = harness({ fake: recording });
    const project = await createProject("At rest Meta");
    const wa = await setupInvitation(project.apiKey);
    await h.ok(wa.token, "start", {});
    await h.ok(wa.token, "complete", { code: code() });
    const pages = await setupInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(pages.token, "start", {});
    // Several Pages: the unchosen ones' tokens sit on the attempt until it completes.
    await h.ok(pages.token, "pages", { code: code("several_pages") });
    const pending = await setupInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(pending.token, "start", {});
    await h.ok(pending.token, "pages", { code: code("several_pages") });
    await h.ok(pages.token, "complete", { pageId: FAKE_PAGES[2].id });

    const pin = fake.registeredPin(FAKE_PHONE_NUMBER_ID);
    expect(pin).toMatch(/^\d{6}$/);
    // business token, short- and long-lived user tokens, 3 + 3 Page tokens
    expect(minted.length).toBeGreaterThanOrEqual(1 + 4 + 6);

    const { cells } = await dumpDatabase();
    const fragments = new Map<string, string>();
    for (const token of minted) {
      for (const encoded of encodingsOf(token, "apiKey")) {
        for (let i = 0; i + FRAGMENT <= encoded.length; i++)
          fragments.set(encoded.slice(i, i + FRAGMENT), token.slice(0, 10));
      }
    }
    const leaks = cells.flatMap((cell) => {
      for (let i = 0; i + FRAGMENT <= cell.value.length; i++) {
        const owner = fragments.get(cell.value.slice(i, i + FRAGMENT));
        if (owner) return [`${cell.table}.${cell.column} holds a fragment of ${owner}…`];
      }
      return [];
    });
    expect(leaks).toEqual([]);
    // The PIN: no cell is it or carries it as JSON (6 digits may occur inside timestamps by chance).
    const pinLeaks = cells.filter(
      (c) => c.value === pin || c.value.includes(`"${pin}"`) || c.value.includes(`:${pin}`),
    );
    expect(pinLeaks.map((c) => `${c.table}.${c.column}`)).toEqual([]);

    // Sealed, not discarded: each opens with the service's key.
    const [sender] = await createDb(env.DB)
      .select()
      .from(senders)
      .where(and(eq(senders.projectId, project.projectId), eq(senders.channel, "whatsapp")));
    const stored = await findPin(createDb(env.DB), FAKE_PHONE_NUMBER_ID);
    expect(
      await decryptSecret(
        env.ENCRYPTION_KEYS,
        String(stored?.pinCiphertext),
        "phone_number_pins.pin_ciphertext",
      ),
    ).toBe(pin);
    expect(minted).toContain(
      await decryptSecret(
        env.ENCRYPTION_KEYS,
        String(sender?.accessTokenCiphertext),
        "senders.access_token_ciphertext",
      ),
    );
    const [attempt] = await createDb(env.DB)
      .select()
      .from(onboardingAttempts)
      .where(eq(onboardingAttempts.invitationId, pending.id));
    const sealedPages = JSON.parse(
      await decryptSecret(
        env.ENCRYPTION_KEYS,
        String(attempt?.pagesCiphertext),
        "onboarding_attempts.pages_ciphertext",
      ),
    ) as {
      accessToken: string;
    }[];
    expect(sealedPages).toHaveLength(3);
    for (const page of sealedPages) expect(minted).toContain(page.accessToken);

    // …and no endpoint hands them back: the partner API's invitation and sender, the client's view.
    const answers = [
      await (await h.call(`/v1/invitations/${wa.id}`, { apiKey: project.apiKey })).text(),
      await (await h.call(`/v1/senders/${sender?.id}`, { apiKey: project.apiKey })).text(),
      await (await h.call("/v1/senders", { apiKey: project.apiKey })).text(),
      await (await h.post(wa.token, "complete", { code: code() })).text(),
    ];
    for (const text of answers) {
      for (const token of minted) expect(text).not.toContain(token);
      expect(text).not.toContain(`"${pin}"`);
      expect(text).not.toContain(String(stored?.pinCiphertext));
    }
  });
});
