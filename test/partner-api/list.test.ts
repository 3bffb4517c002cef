import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { INVITATION_STATUSES, type InvitationStatus } from "../../src/db/schema";
import { listInvitationsSql } from "../../src/invitations/invitations.repository";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { callAt, createAt } from "./support/clock";
import { bulkInsertInvitations, setExpiresAt, setStatus } from "./support/db";
import { firstOrderViolation, listAll, listPage } from "./support/list";

const DAY = 86_400_000;

describe("GET /v1/invitations", () => {
  it("returns { items, nextCursor } newest first, nextCursor null on the last page", async () => {
    const { apiKey } = await createProject();
    const base = Date.now() - 60_000;
    const created = [];
    for (let i = 0; i < 3; i++) {
      created.push(
        await createAt(
          callAt(() => base + i * 1000),
          apiKey,
          { clientName: `Client ${i}` },
        ),
      );
    }
    const res = await call("/v1/invitations", { apiKey });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["items", "nextCursor"]);
    expect(body.nextCursor).toBeNull();
    const items = body.items as { id: string }[];
    expect(items.map((i) => i.id)).toEqual(created.map((i) => i.id).reverse());
    // Items are the same objects create returned.
    expect(items[0]).toEqual(created[2]);
  });

  it("an empty project lists nothing, with nextCursor null", async () => {
    const { apiKey } = await createProject();
    expect(await listPage(apiKey)).toEqual({ items: [], nextCursor: null });
  });

  it("answers 401 without an API key", async () => {
    await expectError(await call("/v1/invitations"), 401, "unauthorized");
  });

  it("pages 50 by default", async () => {
    const { projectId, apiKey } = await createProject();
    const now = Date.now();
    await bulkInsertInvitations(
      projectId,
      Array.from({ length: 51 }, (_, i) => ({ createdAt: now - 10_000 + i, expiresAt: now + DAY })),
    );
    const first = await listPage(apiKey);
    expect(first.items).toHaveLength(50);
    expect(typeof first.nextCursor).toBe("string");
    const second = await listPage(apiKey, `cursor=${encodeURIComponent(first.nextCursor ?? "")}`);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(51);
  });

  it("a last page that is exactly full has nextCursor null (no empty trailing page)", async () => {
    const { projectId, apiKey } = await createProject();
    const now = Date.now();
    await bulkInsertInvitations(
      projectId,
      Array.from({ length: 50 }, (_, i) => ({ createdAt: now - 10_000 + i, expiresAt: now + DAY })),
    );
    const page = await listPage(apiKey);
    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).toBeNull();
  });

  it("accepts limit 1 and limit 100", async () => {
    const { projectId, apiKey } = await createProject();
    const now = Date.now();
    await bulkInsertInvitations(
      projectId,
      Array.from({ length: 101 }, (_, i) => ({ createdAt: now - 10_000 + i, expiresAt: now + DAY })),
    );
    const one = await listPage(apiKey, "limit=1");
    expect(one.items).toHaveLength(1);
    expect(one.nextCursor).toEqual(expect.any(String));
    const hundred = await listPage(apiKey, "limit=100");
    expect(hundred.items).toHaveLength(100);
    expect(hundred.items[0]).toEqual(one.items[0]);
    const rest = await listPage(apiKey, `limit=100&cursor=${encodeURIComponent(hundred.nextCursor ?? "")}`);
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
  });

  it.each([
    ["0", "limit=0"],
    ["101", "limit=101"],
    ["-1", "limit=-1"],
    ["abc", "limit=abc"],
    ["5.5", "limit=5.5"],
    ["empty", "limit="],
    ["repeated", "limit=1&limit=2"],
  ])("rejects limit %s with 400 invalid_request naming limit", async (_, query) => {
    const { apiKey } = await createProject();
    await createInvitation(apiKey);
    const body = await expectError(
      await call(`/v1/invitations?${query}`, { apiKey }),
      400,
      "invalid_request",
    );
    expect(Object.keys((body.details?.fields ?? {}) as object)).toContain("limit");
  });

  it("rejects an unknown status with 400 invalid_request naming status", async () => {
    const { apiKey } = await createProject();
    for (const query of ["open", "PENDING", "", "whatsapp_alt", "pending&status=cancelled"]) {
      const body = await expectError(
        await call(`/v1/invitations?status=${query}`, { apiKey }),
        400,
        "invalid_request",
      );
      expect(Object.keys((body.details?.fields ?? {}) as object)).toContain("status");
    }
  });

  it("filters by each status, expiry by time counting as expired", async () => {
    const { apiKey } = await createProject();
    const make = async () => (await createInvitation(apiKey)).id;
    const ids = {
      pending1: await make(),
      pending2: await make(),
      cancelled: await make(),
      expiredByTime: await make(),
      inProgressExpiredByTime: await make(),
      expiredPersisted: await make(),
      completed: await make(),
      failed: await make(),
      inProgress: await make(),
    };
    const cancel = await call(`/v1/invitations/${ids.cancelled}/cancel`, { method: "POST", apiKey });
    expect(cancel.status).toBe(200);
    const past = Date.now() - 60_000;
    await setExpiresAt(ids.expiredByTime, past);
    await setStatus(ids.inProgressExpiredByTime, "in_progress");
    await setExpiresAt(ids.inProgressExpiredByTime, past);
    await setStatus(ids.expiredPersisted, "expired");
    await setExpiresAt(ids.expiredPersisted, past);
    await setStatus(ids.inProgress, "in_progress");
    await setStatus(ids.completed, "in_progress");
    await setStatus(ids.completed, "completed");
    await setStatus(ids.failed, "in_progress");
    await setStatus(ids.failed, "failed");

    const expected: Record<InvitationStatus, string[]> = {
      pending: [ids.pending1, ids.pending2],
      in_progress: [ids.inProgress],
      completed: [ids.completed],
      expired: [ids.expiredByTime, ids.inProgressExpiredByTime, ids.expiredPersisted],
      cancelled: [ids.cancelled],
      failed: [ids.failed],
    };
    for (const status of INVITATION_STATUSES) {
      const { items } = await listAll(apiKey, { status });
      expect(items.map((i) => i.id).sort(), status).toEqual([...expected[status]].sort());
      for (const item of items) expect(item.status, item.id).toBe(status);
    }
    const all = await listAll(apiKey);
    expect(all.items).toHaveLength(Object.keys(ids).length);
    const statusById = Object.fromEntries(all.items.map((i) => [i.id, i.status]));
    for (const status of INVITATION_STATUSES) {
      for (const id of expected[status]) expect(statusById[id], id).toBe(status);
    }
  });

  describe("cursor", () => {
    async function projectWithCursor() {
      const project = await createProject();
      for (let i = 0; i < 3; i++) await createInvitation(project.apiKey);
      const page = await listPage(project.apiKey, "limit=1");
      if (page.nextCursor === null) throw new Error("expected a next page");
      return { ...project, cursor: page.nextCursor };
    }

    function flip(text: string, index: number): string {
      const at = index < 0 ? text.length + index : index;
      const replacement = text[at] === "A" ? "B" : "A";
      return `${text.slice(0, at)}${replacement}${text.slice(at + 1)}`;
    }

    it("a valid cursor continues the list", async () => {
      const { apiKey, cursor } = await projectWithCursor();
      const next = await listPage(apiKey, `limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(next.items).toHaveLength(1);
    });

    it("rejects tampered, truncated, random and other projects' cursors with 400 invalid_request", async () => {
      const { apiKey, cursor } = await projectWithCursor();
      const other = await projectWithCursor();
      const dot = cursor.indexOf(".");
      expect(dot).toBeGreaterThan(0);
      const tampered = {
        "payload, first character": flip(cursor, 0),
        "payload, last character": flip(cursor, dot - 1),
        "MAC, first character": flip(cursor, dot + 1),
        "MAC, last character": flip(cursor, -1),
        "truncated by one": cursor.slice(0, -1),
        "payload only": cursor.slice(0, dot),
        "payload and dot": cursor.slice(0, dot + 1),
        "MAC only": cursor.slice(dot + 1),
        "extra segment": `${cursor}.x`,
        "random string": "not-a-cursor",
        "random base64url": btoa(JSON.stringify([Date.now(), "inv_x"])).replace(/=+$/, ""),
        "random payload.mac": `${btoa(JSON.stringify([Date.now(), "inv_x"])).replace(/=+$/, "")}.${"0".repeat(32)}`,
        "another project's valid cursor": other.cursor,
        empty: "",
      };
      for (const [label, value] of Object.entries(tampered)) {
        expect(value, label).not.toBe(cursor);
        const res = await call(`/v1/invitations?limit=1&cursor=${encodeURIComponent(value)}`, { apiKey });
        const body = await expectError(res, 400, "invalid_request").catch((error: Error) => {
          throw new Error(`${label}: ${error.message}`);
        });
        expect(Object.keys((body.details?.fields ?? {}) as object), label).toContain("cursor");
      }
      // The other project's cursor is valid for that project.
      expect(
        (await listPage(other.apiKey, `limit=1&cursor=${encodeURIComponent(other.cursor)}`)).items,
      ).toHaveLength(1);
    });
  });

  it("a walk neither repeats nor skips while invitations are created between pages", async () => {
    const { apiKey } = await createProject();
    const base = Date.now() - 3_600_000;
    const originals: string[] = [];
    for (let i = 0; i < 25; i++) {
      originals.push(
        (
          await createAt(
            callAt(() => base + i * 1000),
            apiKey,
          )
        ).id,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: "10" });
      if (cursor !== null) query.set("cursor", cursor);
      const page = await listPage(apiKey, query.toString());
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
      for (let i = 0; i < 5; i++) await createInvitation(apiKey);
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...originals].reverse());
    const after = await listAll(apiKey);
    expect(after.items).toHaveLength(25 + 15);
  });

  it("walks 10,000 invitations with limit=100, each exactly once in strict (createdAt, id) desc order", async () => {
    const { projectId, apiKey } = await createProject();
    const now = Date.now();
    const base = now - DAY;
    // Groups of 7 share created_at: ties are broken by id, also across page boundaries.
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      createdAt: base + Math.floor(i / 7),
      expiresAt: now + 7 * DAY,
    }));
    const insertStarted = performance.now();
    const ids = await bulkInsertInvitations(projectId, rows);
    const insertMs = performance.now() - insertStarted;

    const walkStarted = performance.now();
    const { items, pages } = await listAll(apiKey, { limit: "100" });
    const walkMs = performance.now() - walkStarted;
    console.info(`10,000 rows: insert ${Math.round(insertMs)} ms, walk ${Math.round(walkMs)} ms`);

    expect(pages).toBe(100);
    expect(items).toHaveLength(10_000);
    const returned = items.map((i) => i.id);
    expect(new Set(returned).size).toBe(10_000);
    expect([...returned].sort()).toEqual([...ids].sort());
    expect(firstOrderViolation(items)).toBe(-1);
    expect(walkMs).toBeLessThan(30_000);
  }, 90_000);

  describe("query plans (EXPLAIN QUERY PLAN of listInvitationsSql)", () => {
    const variants = [undefined, ...INVITATION_STATUSES].flatMap((status) => [
      { status, after: undefined },
      { status, after: { createdAt: Date.now(), id: "inv_zzzzzzzzzzzzzzzzzzzzzzzz" } },
    ]);

    it.each(variants)(
      "status $status, cursor $after: an index of invitations, no sort",
      async ({ status, after }) => {
        const { projectId } = await createProject();
        const query = listInvitationsSql(createDb(env.DB), {
          projectId,
          mode: "live",
          status,
          after,
          limit: 50,
          now: Date.now(),
        });
        const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
          .bind(...query.params)
          .all<{ detail: string }>();
        const details = results.map((r) => r.detail);
        const plan = details.join(" | ");
        const onInvitations = details.filter((d) => /\binvitations\b/.test(d));
        expect(onInvitations.length, plan).toBeGreaterThan(0);
        for (const detail of onInvitations) {
          expect(detail, plan).toMatch(/^(SEARCH|SCAN) invitations USING (COVERING )?INDEX invitations_/);
        }
        expect(plan).not.toMatch(/SCAN invitations(?! USING)/);
        expect(plan).not.toContain("USE TEMP B-TREE FOR ORDER BY");
      },
    );
  });
});
