import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// drizzle/0009_sender_health.sql on data of the old shape: an empty D1 (MIGRATION_DB) migrated
// to 0008, seeded, then migrated on.

const db = env.MIGRATION_DB;

describe("migration 0009 on data of the old shape", () => {
  it("senders become active since their creation; deliveries are kept and may name sender events; status changes write one event each", async () => {
    const old = env.TEST_MIGRATIONS.slice(0, 9);
    expect(old.map((m) => m.name.slice(0, 4))).toEqual([
      "0000",
      "0001",
      "0002",
      "0003",
      "0004",
      "0005",
      "0006",
      "0007",
      "0008",
    ]);
    expect(env.TEST_MIGRATIONS[9]?.name).toBe("0009_sender_health.sql");
    await applyD1Migrations(db, old);
    await db.batch([
      db.prepare("INSERT INTO projects (id, name, created_at) VALUES ('prj_m9', 'P', 1)"),
      db.prepare(
        `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, connection_type, status, mode, expires_at, created_at, updated_at)
         VALUES ('inv_m9', 'prj_m9', 'h', 's', 'whatsapp_waba', 'cancelled', 'live', 9000000000000, 10, 10)`,
      ),
      db.prepare(
        `INSERT INTO invitation_events (id, invitation_id, project_id, mode, previous_status, current_status, created_at)
         VALUES ('evt_m9', 'inv_m9', 'prj_m9', 'live', 'pending', 'cancelled', 10)`,
      ),
      db.prepare(
        `INSERT INTO webhook_deliveries (id, project_id, mode, event_id, invitation_id, attempt, outcome, response_status, duration_ms, created_at)
         VALUES ('dlv_m9', 'prj_m9', 'live', 'evt_m9', 'inv_m9', 1, 'delivered', 200, 12, 11)`,
      ),
      db.prepare(
        `INSERT INTO senders (id, project_id, channel, provider_account_id, waba_id, mode, invitation_id, access_token_ciphertext, created_at, updated_at)
         VALUES ('snd_m9', 'prj_m9', 'whatsapp', '111', '222', 'live', 'inv_m9', 't', 100, 150)`,
      ),
      db.prepare(
        `INSERT INTO webhooks (project_id, mode, url, events, active, secret_ciphertext, created_at, updated_at)
         VALUES ('prj_m9', 'live', 'https://x.example', '["invitation.status_changed"]', 1, 's', 1, 1)`,
      ),
    ]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const sender = await db
      .prepare(
        "SELECT status, status_changed_at, connected_at, contacts_sync_status, history_sync_status, deleting_since FROM senders",
      )
      .first();
    expect(sender).toEqual({
      status: "active",
      status_changed_at: 100,
      connected_at: 150,
      contacts_sync_status: "not_requested",
      history_sync_status: "not_requested",
      deleting_since: null,
    });
    expect(
      (await db.prepare("SELECT id, event_id, mode, attempt FROM webhook_deliveries").all()).results,
    ).toEqual([{ id: "dlv_m9", event_id: "evt_m9", mode: "live", attempt: 1 }]);
    // The event id may now be a sender event's.
    await db
      .prepare(
        `INSERT INTO webhook_deliveries (id, project_id, mode, event_id, invitation_id, attempt, outcome, duration_ms, created_at)
         VALUES ('dlv_m9b', 'prj_m9', 'live', 'evt_sender', 'inv_m9', 1, 'delivered', 1, 12)`,
      )
      .run();

    await db
      .prepare(
        "UPDATE senders SET status = 'disconnected', status_reason = 'PARTNER_REMOVED', status_changed_at = 500",
      )
      .run();
    await db
      .prepare("UPDATE senders SET status = 'disconnected', status_reason = 'again', status_changed_at = 600")
      .run();
    const events = await db
      .prepare(
        "SELECT sender_id, project_id, mode, channel, invitation_id, previous_status, current_status, reason, created_at, delivery_state FROM sender_events",
      )
      .all();
    // The webhook does not list sender.status_changed: recorded, not queued.
    expect(events.results).toEqual([
      {
        sender_id: "snd_m9",
        project_id: "prj_m9",
        mode: "live",
        channel: "whatsapp",
        invitation_id: "inv_m9",
        previous_status: "active",
        current_status: "disconnected",
        reason: "PARTNER_REMOVED",
        created_at: 500,
        delivery_state: null,
      },
    ]);
  });
});
