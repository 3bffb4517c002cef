import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { mayQueueEvents, RequestDatabase } from "../../src/db/session";
import { expireOverdueStatement, markViewed, transitionStatement } from "../../src/invitations/lifecycle";
import { requeueEvent } from "../../src/webhooks/webhooks.repository";

// A request dispatches the webhook outbox after its response only when it built a write that
// says it may queue an event (src/db/session.ts, `mayQueueEvents`); the SQL text decides nothing.

function request(): RequestDatabase {
  return new RequestDatabase(env.DB, {
    replica: false,
    bookmark: null,
    projectId: () => undefined,
    now: Date.now(),
  });
}

const OWNER = { projectId: "prj_none", mode: "live" as const };

describe("the outbox signal comes from the write, not from its SQL", () => {
  it("a status change, an expiry sweep and a resend each mark the request", () => {
    const built = [
      (db: RequestDatabase["db"]) => transitionStatement(db, { id: "inv_none" }, { event: "cancel" }, 1),
      (db: RequestDatabase["db"]) => expireOverdueStatement(db, 1, { limit: 1 }),
      (db: RequestDatabase["db"]) => requeueEvent(db, OWNER, "evt_none"),
    ];
    const seen = built.map((build) => {
      const database = request();
      expect(database.mayHaveQueuedEvents).toBe(false);
      build(database.db);
      return database.mayHaveQueuedEvents;
    });
    expect(seen).toEqual([true, true, true]);
  });

  it("other writes to the same tables do not (a first view, raw SQL)", async () => {
    const viewed = request();
    await markViewed(viewed.db, "inv_none", 1);
    const raw = request();
    await raw.raw.prepare(`update "invitations" set "updated_at" = 1 where "id" = 'inv_none'`).run();
    await raw.raw
      .prepare(`update "invitation_events" set "lease_until" = null where "id" = 'evt_none'`)
      .run();
    expect([viewed.mayHaveQueuedEvents, raw.mayHaveQueuedEvents]).toEqual([false, false]);
  });

  it("outside a request (cron, scripts) the mark does nothing", () => {
    const db = createDb(env.DB);
    expect(() => mayQueueEvents(db)).not.toThrow();
    const other = request();
    mayQueueEvents(db);
    expect(other.mayHaveQueuedEvents).toBe(false);
  });
});
