import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// drizzle/0006_test_live_apart.sql on a database of the old shape: an empty D1 (MIGRATION_DB,
// vitest.config.ts) migrated to 0005, seeded as production could be, then migrated on.

const db = env.MIGRATION_DB;

async function rows<T = Record<string, unknown>>(query: string): Promise<T[]> {
  return (await db.prepare(query).all<T>()).results;
}

/** Values in column order, for exact comparisons of whole rows. */
async function tuples(query: string): Promise<unknown[][]> {
  return (await rows(query)).map((row) => Object.values(row));
}

const invitation = (id: string, project: string, mode: string, status: string) =>
  db
    .prepare(
      `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, connection_type, status, mode, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, 'sealed', 'whatsapp_waba', ?, ?, 9000000000000, 1000, 1000)`,
    )
    .bind(id, project, `hash-${id}`, status, mode);

const sender = (
  id: string,
  project: string,
  mode: string,
  account: string,
  pin: string | null,
  updatedAt: number,
  channel = "whatsapp",
) =>
  db
    .prepare(
      `INSERT INTO senders (id, project_id, channel, provider_account_id, mode, invitation_id, access_token_ciphertext, pin_ciphertext, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'inv_a_live3', 'sealed-token', ?, ?, ?)`,
    )
    .bind(id, project, channel, account, mode, pin, updatedAt - 50, updatedAt);

describe("migration 0006 on data of the old shape", () => {
  it("keeps every row's mode, makes the webhook and remembered responses live, counts open invitations, keeps the newest PIN per number", async () => {
    const old = env.TEST_MIGRATIONS.slice(0, 6);
    expect(old.map((m) => m.name.slice(0, 4))).toEqual(["0000", "0001", "0002", "0003", "0004", "0005"]);
    expect(env.TEST_MIGRATIONS[6]?.name).toBe("0006_test_live_apart.sql");
    await applyD1Migrations(db, old);
    expect(await tuples("SELECT name FROM sqlite_master WHERE name = 'open_invitation_counts'")).toEqual([]);

    await db.batch([
      db.prepare("INSERT INTO projects (id, name, created_at) VALUES ('prj_a', 'A', 1), ('prj_b', 'B', 1)"),
      db.prepare(
        `INSERT INTO webhooks (project_id, url, events, active, secret_ciphertext, created_at, updated_at)
         VALUES ('prj_a', 'https://a.example/hook', '["invitation.status_changed"]', 1, 'sealed-secret', 100, 200)`,
      ),
      db.prepare(
        `INSERT INTO idempotency_keys (project_id, key, request_hash, state, response_status, response_body_ciphertext, created_at, expires_at)
         VALUES ('prj_a', 'k1', 'hash', 'done', 201, 'sealed-body', 10, 20)`,
      ),
      invitation("inv_a_live1", "prj_a", "live", "pending"),
      invitation("inv_a_live2", "prj_a", "live", "in_progress"),
      invitation("inv_a_live3", "prj_a", "live", "completed"),
      invitation("inv_a_test1", "prj_a", "test", "failed"),
      invitation("inv_a_test2", "prj_a", "test", "cancelled"),
      invitation("inv_b_test1", "prj_b", "test", "pending"),
      invitation("inv_b_live1", "prj_b", "live", "expired"),
      db.prepare(
        `INSERT INTO invitation_events (id, invitation_id, project_id, previous_status, current_status, created_at, delivery_state)
         VALUES ('evt_live', 'inv_a_live3', 'prj_a', 'in_progress', 'completed', 1100, 'delivered'),
                ('evt_test', 'inv_a_test1', 'prj_a', 'in_progress', 'failed', 1200, NULL),
                ('evt_b', 'inv_b_test1', 'prj_b', 'pending', 'pending', 1300, NULL)`,
      ),
      db.prepare(
        `INSERT INTO webhook_deliveries (id, project_id, event_id, invitation_id, attempt, outcome, duration_ms, created_at)
         VALUES ('del_live', 'prj_a', 'evt_live', 'inv_a_live3', 1, 'delivered', 5, 1101),
                ('del_test', 'prj_a', 'evt_test', 'inv_a_test1', 1, 'failed', 5, 1201)`,
      ),
      // The same number registered from two projects with different PINs: B's is the newer.
      sender("snd_a1", "prj_a", "live", "3001", "pin-of-a", 500),
      sender("snd_b1", "prj_b", "test", "3001", "pin-of-b", 900),
      sender("snd_a2", "prj_a", "test", "3002", "pin-only", 300),
      sender("snd_b2", "prj_b", "live", "3003", null, 400),
      sender("snd_a3", "prj_a", "live", "page-1", null, 600, "messenger"),
    ]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    expect(await tuples("SELECT id, mode FROM invitations ORDER BY id")).toEqual([
      ["inv_a_live1", "live"],
      ["inv_a_live2", "live"],
      ["inv_a_live3", "live"],
      ["inv_a_test1", "test"],
      ["inv_a_test2", "test"],
      ["inv_b_live1", "live"],
      ["inv_b_test1", "test"],
    ]);
    expect(
      await tuples(
        "SELECT project_id, mode, open_count FROM open_invitation_counts ORDER BY project_id, mode",
      ),
    ).toEqual([
      ["prj_a", "live", 2],
      ["prj_a", "test", 1],
      ["prj_b", "test", 1],
    ]);
    expect(await rows("SELECT * FROM webhooks")).toEqual([
      {
        project_id: "prj_a",
        mode: "live",
        url: "https://a.example/hook",
        events: '["invitation.status_changed"]',
        active: 1,
        secret_ciphertext: "sealed-secret",
        previous_secret_ciphertext: null,
        previous_secret_expires_at: null,
        signature_version: "v1+v2",
        created_at: 100,
        updated_at: 200,
      },
    ]);
    expect(await rows("SELECT * FROM idempotency_keys")).toEqual([
      {
        project_id: "prj_a",
        mode: "live",
        key: "k1",
        request_hash: "hash",
        state: "done",
        response_status: 201,
        response_body_ciphertext: "sealed-body",
        created_at: 10,
        expires_at: 20,
      },
    ]);
    expect(await tuples("SELECT id, mode FROM invitation_events ORDER BY id")).toEqual([
      ["evt_b", "test"],
      ["evt_live", "live"],
      ["evt_test", "test"],
    ]);
    expect(await tuples("SELECT id, mode FROM webhook_deliveries ORDER BY id")).toEqual([
      ["del_live", "live"],
      ["del_test", "test"],
    ]);
    expect(await tuples("SELECT * FROM phone_number_pins ORDER BY phone_number_id")).toEqual([
      ["3001", "pin-of-b", 850, 900],
      ["3002", "pin-only", 250, 300],
    ]);
    expect(
      await tuples("SELECT id, project_id, mode, channel, provider_account_id FROM senders ORDER BY id"),
    ).toEqual([
      ["snd_a1", "prj_a", "live", "whatsapp", "3001"],
      ["snd_a2", "prj_a", "test", "whatsapp", "3002"],
      ["snd_a3", "prj_a", "live", "messenger", "page-1"],
      ["snd_b1", "prj_b", "test", "whatsapp", "3001"],
      ["snd_b2", "prj_b", "live", "whatsapp", "3003"],
    ]);
    const senderColumns = (await rows<{ name: string }>("PRAGMA table_info(senders)")).map((c) => c.name);
    expect(senderColumns).not.toContain("pin_ciphertext");

    // The new triggers keep the counts and write events in their invitation's mode, queued
    // for delivery only where that mode has a webhook (prj_a's is live).
    await db.batch([
      db.prepare("UPDATE invitations SET status = 'cancelled', updated_at = 2000 WHERE id = 'inv_a_live1'"),
      db.prepare("UPDATE invitations SET status = 'cancelled', updated_at = 2001 WHERE id = 'inv_a_test1'"),
      invitation("inv_b_live2", "prj_b", "live", "pending"),
    ]);
    expect(
      await tuples(
        "SELECT project_id, mode, open_count FROM open_invitation_counts ORDER BY project_id, mode",
      ),
    ).toEqual([
      ["prj_a", "live", 1],
      ["prj_a", "test", 0],
      ["prj_b", "live", 1],
      ["prj_b", "test", 1],
    ]);
    expect(
      await tuples(
        "SELECT invitation_id, mode, current_status, delivery_state FROM invitation_events WHERE created_at >= 2000 ORDER BY created_at",
      ),
    ).toEqual([
      ["inv_a_live1", "live", "cancelled", "pending"],
      ["inv_a_test1", "test", "cancelled", null],
    ]);
  });
});
