import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import {
  BOOKMARK_HEADER,
  forgetRecentWrites,
  RECENT_WRITES_CAPACITY,
  recentWriteBookmark,
  recentWritesSize,
  recordWrite,
} from "../../src/db/session";
import { createProject } from "../support/api";
import { appWith, type Caller } from "../support/app";
import { type LaggingD1, laggingD1, replicate } from "../support/replica";

// Read-after-write on D1 read replicas (src/db/session.ts) for a client that never sends a
// bookmark back, as the official client does not. The replica here (test/support/replica.ts)
// is real local D1 that lags as far as the test wants: nothing reaches it but `replicate()`.

interface Invitation {
  id: string;
  status: string;
}

function withReplica(): { call: Caller; d1: LaggingD1 } {
  const d1 = laggingD1();
  return { d1, call: appWith({}, { ...env, DB: d1.db }) };
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function create(call: Caller, apiKey: string): Promise<Invitation> {
  const res = await call("/v1/invitations", {
    method: "POST",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  return (await json<{ invitation: Invitation }>(res, 201)).invitation;
}

/** A project whose key (and nothing else yet) the replica already has, as in production. */
async function replicatedProject() {
  const project = await createProject("Replication");
  await replicate(project.projectId);
  return project;
}

beforeEach(() => forgetRecentWrites());

describe("read-after-write without a bookmark", () => {
  it("control: the replica really lags (a list on it misses a fresh create)", async () => {
    const { call } = withReplica();
    const { apiKey, projectId } = await replicatedProject();
    await create(call, apiKey);
    const { results } = await env.REPLICA_DB.prepare("SELECT id FROM invitations WHERE project_id = ?")
      .bind(projectId)
      .all();
    expect(results).toEqual([]);
  });

  it("reads of a project that wrote nothing here come from the replica", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    const res = await call("/v1/invitations", { apiKey });
    expect((await json<{ items: unknown[] }>(res, 200)).items).toEqual([]);
    expect(d1.sessions).toEqual(["first-unconstrained"]);
    expect(d1.served).toEqual(["replica", "replica"]); // the key lookup, the page
  });

  it("writes anchor on the primary", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    await create(call, apiKey);
    expect(d1.sessions).toEqual(["first-primary"]);
    expect(d1.served.every((s) => s === "primary")).toBe(true);
  });

  it("create then get, 50 times in a tight loop: every get finds the new invitation", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    for (let i = 0; i < 50; i++) {
      const created = await create(call, apiKey);
      d1.served.length = 0;
      const res = await call(`/v1/invitations/${created.id}`, { apiKey });
      const { invitation } = await json<{ invitation: Invitation }>(res, 200);
      expect(invitation).toMatchObject({ id: created.id, status: "pending" });
      // The key is in this isolate's key cache (the create looked it up), so the one query is
      // the row, from a session anchored at the create's bookmark, which the lagging replica
      // cannot serve: no fallback round trip was needed.
      expect(d1.served).toEqual(["primary"]);
    }
  });

  it("cancel then list, 30 times in a tight loop: every list shows the cancellation", async () => {
    const { call } = withReplica();
    const { apiKey, projectId } = await replicatedProject();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await create(call, apiKey)).id);
    await replicate(projectId); // the replica now has all 30, pending
    forgetRecentWrites();
    for (const id of ids) {
      await json(await call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey }), 200);
      const page = await json<{ items: Invitation[] }>(
        await call("/v1/invitations?limit=100", { apiKey }),
        200,
      );
      expect(page.items.find((item) => item.id === id)?.status).toBe("cancelled");
      const cancelled = await json<{ items: Invitation[] }>(
        await call("/v1/invitations?status=cancelled&limit=100", { apiKey }),
        200,
      );
      expect(cancelled.items.map((item) => item.id)).toContain(id);
    }
  });

  it("another isolate (nothing remembered): a get still finds a fresh create, via the primary", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    for (let i = 0; i < 20; i++) {
      const created = await create(call, apiKey);
      forgetRecentWrites();
      d1.served.length = 0;
      const res = await call(`/v1/invitations/${created.id}`, { apiKey });
      expect((await json<{ invitation: Invitation }>(res, 200)).invitation.id).toBe(created.id);
      // The key is cached in the app (only the recent-writes memory was forgotten): a miss on
      // the replica, then the primary.
      expect(d1.served).toEqual(["replica", "primary"]);
    }
  });

  it("a real 404 asks the primary once and stays a 404", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    const res = await call("/v1/invitations/inv_doesnotexist000000000000", { apiKey });
    expect(res.status).toBe(404);
    expect(d1.served).toEqual(["replica", "replica", "primary"]);
  });
});

describe("X-D1-Bookmark", () => {
  it("another isolate: a list is as stale as the replica, unless the client sends the bookmark back", async () => {
    const { call } = withReplica();
    const { apiKey, projectId } = await replicatedProject();
    const { id } = await create(call, apiKey);
    await replicate(projectId);
    const cancel = await call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey });
    await json(cancel, 200);
    const bookmark = cancel.headers.get(BOOKMARK_HEADER);
    expect(bookmark).toMatch(/^[^.]+\.[^.]+\.[^.]+$/); // sealed: key id, IV, ciphertext
    forgetRecentWrites();

    // The documented limit: without the bookmark, this isolate reads the lagging replica.
    const stale = await json<{ items: Invitation[] }>(await call("/v1/invitations", { apiKey }), 200);
    expect(stale.items.find((item) => item.id === id)?.status).toBe("pending");

    const fresh = await json<{ items: Invitation[] }>(
      await call("/v1/invitations", { apiKey, headers: { [BOOKMARK_HEADER]: bookmark ?? "" } }),
      200,
    );
    expect(fresh.items.find((item) => item.id === id)?.status).toBe("cancelled");
  });

  it("is opaque: the raw D1 bookmark is not in it", async () => {
    const { apiKey } = await createProject();
    const res = await appWith({})("/v1/invitations", { apiKey });
    const header = res.headers.get(BOOKMARK_HEADER) ?? "";
    expect(header).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}/);
    expect(header.length).toBeGreaterThan(0);
  });

  it("an unreadable or forged value is ignored, never a failure", async () => {
    const { call, d1 } = withReplica();
    const { apiKey } = await replicatedProject();
    const forged = [
      "garbage",
      "00000000-00000005-00000000-00000000000000000000000000000000",
      `test1.${"A".repeat(16)}.${"B".repeat(64)}`,
      "x".repeat(600),
    ];
    for (const value of forged) {
      const res = await call("/v1/invitations", { apiKey, headers: { [BOOKMARK_HEADER]: value } });
      expect(res.status).toBe(200);
    }
    expect(d1.sessions).toEqual(forged.map(() => "first-unconstrained"));
  });
});

describe("the recent-writers map", () => {
  it("is bounded: past its capacity the oldest project is forgotten first", () => {
    const now = Date.now();
    for (let i = 0; i <= RECENT_WRITES_CAPACITY; i++) recordWrite(`prj_${i}`, `b${i}`, now);
    expect(recentWritesSize()).toBe(RECENT_WRITES_CAPACITY);
    expect(recentWriteBookmark("prj_0", now)).toBeNull();
    expect(recentWriteBookmark("prj_1", now)).toBe("b1");
    expect(recentWriteBookmark(`prj_${RECENT_WRITES_CAPACITY}`, now)).toBe(`b${RECENT_WRITES_CAPACITY}`);
  });

  it("forgets an entry after its time to live", () => {
    const now = Date.now();
    recordWrite("prj_ttl", "b", now);
    expect(recentWriteBookmark("prj_ttl", now + 5 * 60_000)).toBe("b");
    expect(recentWriteBookmark("prj_ttl", now + 5 * 60_000 + 1)).toBeNull();
  });
});

describe("on the Worker's own local D1 sessions (no replica model)", () => {
  it("create then get and cancel then list, 25 times in a tight loop", async () => {
    const call = appWith({});
    const { apiKey } = await createProject();
    for (let i = 0; i < 25; i++) {
      const created = await create(call, apiKey);
      const got = await json<{ invitation: Invitation }>(
        await call(`/v1/invitations/${created.id}`, { apiKey }),
        200,
      );
      expect(got.invitation).toMatchObject({ id: created.id, status: "pending" });
      await json(await call(`/v1/invitations/${created.id}/cancel`, { method: "POST", apiKey }), 200);
      const page = await json<{ items: Invitation[] }>(
        await call("/v1/invitations?limit=1", { apiKey }),
        200,
      );
      expect(page.items).toEqual([expect.objectContaining({ id: created.id, status: "cancelled" })]);
    }
  });
});
