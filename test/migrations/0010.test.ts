import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// drizzle/0010_journey_metadata_stats.sql on data of the old shape: the funnel's rollup is
// backfilled from the existing invitations and attempts, and the triggers then keep it.

const db = env.MIGRATION_DB;
const DAY = 86_400_000;

type StatsRow = Record<string, unknown>;

async function statsRows(): Promise<StatsRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM invitation_stats ORDER BY mode, period_days, start_day, connection_type")
    .all<StatsRow>();
  return results.map((r) => ({
    ...r,
    view_seconds: JSON.parse(String(r.view_seconds)),
    complete_seconds: JSON.parse(String(r.complete_seconds)),
    failure_reasons: JSON.parse(String(r.failure_reasons)),
    abandoned_steps: JSON.parse(String(r.abandoned_steps)),
  }));
}

const row = (
  mode: string,
  period: number,
  start: number,
  type: string,
  counts: Partial<Record<string, number>>,
  json: Partial<Record<string, Record<string, number>>> = {},
): StatsRow => ({
  project_id: "prj_a",
  mode,
  period_days: period,
  start_day: start,
  connection_type: type,
  created: 0,
  viewed: 0,
  started: 0,
  pending: 0,
  in_progress: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  expired: 0,
  ...counts,
  view_seconds: {},
  complete_seconds: {},
  failure_reasons: {},
  abandoned_steps: {},
  ...json,
});

describe("migration 0010 on data of the old shape", () => {
  it("backfills the per-day and per-16-day rollup, the attempts' end, reason and Meta step; the triggers continue from it", async () => {
    const index = env.TEST_MIGRATIONS.findIndex((m) => m.name.startsWith("0010"));
    expect(env.TEST_MIGRATIONS[index]?.name).toBe("0010_journey_metadata_stats.sql");
    await applyD1Migrations(db, env.TEST_MIGRATIONS.slice(0, index));
    const d100 = 100 * DAY + 1_000;
    const invitation = (
      id: string,
      mode: string,
      type: string,
      status: string,
      created: number,
      extra: { viewed?: number; started?: number; completed?: number; reason?: string } = {},
    ) =>
      db
        .prepare(
          `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, connection_type, status, mode,
             expires_at, created_at, updated_at, viewed_at, started_at, completed_at, failure_reason)
           VALUES (?, 'prj_a', ?, 'sealed', ?, ?, ?, 9000000000000, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(
          id,
          `hash-${id}`,
          type,
          status,
          mode,
          created,
          created,
          extra.viewed === undefined ? null : created + extra.viewed,
          extra.started === undefined ? null : created + extra.started,
          extra.completed === undefined ? null : created + extra.completed,
          extra.reason ?? null,
        );
    await db.batch([
      db.prepare("INSERT INTO projects (id, name, created_at) VALUES ('prj_a', 'A', 1)"),
      invitation("inv_1", "live", "whatsapp_waba", "completed", d100, {
        viewed: 30_000,
        started: 40_000,
        completed: 120_000,
      }),
      invitation("inv_2", "live", "whatsapp_waba", "failed", d100, {
        viewed: 60_000,
        started: 70_000,
        reason: "fb_cancelled",
      }),
      invitation("inv_3", "live", "messenger", "pending", 101 * DAY),
      invitation("inv_4", "test", "whatsapp_waba", "cancelled", d100),
      invitation("inv_5", "live", "whatsapp_waba", "expired", 117 * DAY + 5),
      db.prepare(
        `INSERT INTO onboarding_attempts (invitation_id, started_at, outcome, failure_step, created_at, updated_at)
         VALUES ('inv_2', ${d100 + 70_000}, 'failed', 'PHONE_NUMBER_SETUP', ${d100 + 70_000}, ${d100 + 80_000}),
                ('inv_1', ${d100 + 40_000}, 'completed', NULL, ${d100 + 40_000}, ${d100 + 120_000})`,
      ),
    ]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS.slice(0, index + 1));

    // 30 s and 60 s views fall in buckets 10 [22.6, 32) s and 12 [45.3, 64) s; 120 s in 14.
    const day100 = row(
      "live",
      1,
      100,
      "whatsapp_waba",
      { created: 2, viewed: 2, started: 2, completed: 1, failed: 1 },
      {
        view_seconds: { "10": 1, "12": 1 },
        complete_seconds: { "14": 1 },
        failure_reasons: { fb_cancelled: 1 },
        abandoned_steps: { PHONE_NUMBER_SETUP: 1 },
      },
    );
    const messenger = row("live", 1, 101, "messenger", { created: 1, pending: 1 });
    const day117 = row("live", 1, 117, "whatsapp_waba", { created: 1, expired: 1 });
    const test = row("test", 1, 100, "whatsapp_waba", { created: 1, cancelled: 1 });
    const block = (r: StatsRow, start: number) => ({ ...r, period_days: 16, start_day: start });
    expect(await statsRows()).toEqual([
      day100,
      messenger,
      day117,
      block(messenger, 96),
      block(day100, 96),
      block(day117, 112),
      test,
      block(test, 96),
    ]);
    const { results: attempts } = await db
      .prepare(
        "SELECT invitation_id, ended_at, failure_reason, abandoned_step FROM onboarding_attempts ORDER BY invitation_id",
      )
      .all();
    expect(attempts).toEqual([
      { invitation_id: "inv_1", ended_at: d100 + 120_000, failure_reason: null, abandoned_step: null },
      {
        invitation_id: "inv_2",
        ended_at: d100 + 80_000,
        failure_reason: "fb_cancelled",
        abandoned_step: "PHONE_NUMBER_SETUP",
      },
    ]);

    // The triggers continue from the backfill: a view, a cancel, and a new invitation.
    await db.batch([
      db.prepare(`UPDATE invitations SET viewed_at = ${101 * DAY + 500} WHERE id = 'inv_3'`),
      db.prepare("UPDATE invitations SET status = 'cancelled' WHERE id = 'inv_3'"),
      invitation("inv_6", "live", "messenger", "pending", 101 * DAY + 9),
    ]);
    const after = await statsRows();
    const movedMessenger = {
      ...messenger,
      created: 2,
      viewed: 1,
      pending: 1,
      cancelled: 1,
      view_seconds: { "0": 1 },
    };
    expect(after.filter((r) => r.connection_type === "messenger")).toEqual([
      movedMessenger,
      block(movedMessenger, 96),
    ]);
  });
});
