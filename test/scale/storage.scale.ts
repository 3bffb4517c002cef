import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createProject } from "../support/api";
import { appWith } from "../support/app";
import { cloneInvitations, databaseBytes } from "./fill";

// What one invitation costs in D1 storage, its indexes included, and what one create writes:
// the inputs of docs/scaling.md's capacity figures. Sizes are D1's own `meta.size_after` (the
// number the 10 GB limit is checked against), per table and per index by building each alone.

const THROUGH_API = 1_000;
const CLONES = 99_000;
const EVENTS = 20_000;

const INDEXES = {
  // The TEXT primary key: SQLite keeps it as a unique index (sqlite_autoindex_invitations_1).
  primary_key_id: "(id)",
  invitations_project_created_idx: "(project_id, created_at, id)",
  invitations_project_status_created_idx: "(project_id, status, created_at, id)",
  invitations_status_expires_idx: "(status, expires_at)",
  invitations_token_hash_unique: "(token_hash)",
};

/**
 * Bytes per row of the table alone and of each index (D1 has no dbstat): a copy of the table
 * without indexes, then each index built on the copy, measuring the database after each step.
 */
async function perObject(rows: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let before = await databaseBytes();
  await env.DB.prepare("CREATE TABLE scratch_invitations AS SELECT * FROM invitations").run();
  let after = await databaseBytes();
  out.table = Math.round((after - before) / rows);
  for (const [name, columns] of Object.entries(INDEXES)) {
    before = after;
    await env.DB.prepare(`CREATE INDEX scratch_${name} ON scratch_invitations ${columns}`).run();
    after = await databaseBytes();
    out[name] = Math.round((after - before) / rows);
  }
  await env.DB.prepare("DROP TABLE scratch_invitations").run();
  return out;
}

it("bytes per invitation with its indexes, rows written per create", async () => {
  const { apiKey, projectId } = await createProject("Storage");
  const call = appWith({});
  const body = {
    clientName: "Acme Corporation International",
    clientEmail: "operations.team@acme-corporation.example",
    clientPhone: "+14155551234",
    allowedPhoneCountries: ["US", "MX", "CA"],
  };
  const empty = await databaseBytes();
  const started = performance.now();
  let last = "";
  for (let i = 0; i < THROUGH_API; i++) {
    const res = await call("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`create failed: ${res.status}`);
    last = ((await res.json()) as { invitation: { id: string } }).invitation.id;
  }
  const createMs = (performance.now() - started) / THROUGH_API;
  const afterApi = await databaseBytes();

  await cloneInvitations({ templateId: last, projectId, count: CLONES, startAt: Date.now() - 10_000_000 });
  const afterClones = await databaseBytes();

  // Status changes: one invitation_events row each (an invitation has one to three).
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
     INSERT INTO invitation_events (id, invitation_id, project_id, previous_status, current_status, created_at)
     SELECT 'evt_' || lower(hex(randomblob(16))), ?2, ?3, 'pending', 'cancelled', ?4 + i FROM seq`,
  )
    .bind(EVENTS, last, projectId, Date.now())
    .run();
  const afterEvents = await databaseBytes();

  // What D1 bills and counts as written for one create's INSERT (the row and its index entries).
  const insert = await env.DB.prepare(
    `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, client_name, client_email,
       client_phone, connection_type, allowed_phone_countries, status, expires_at, created_at, updated_at)
     SELECT 'inv_one', project_id, lower(hex(randomblob(32))), token_ciphertext, client_name, client_email,
       client_phone, connection_type, allowed_phone_countries, 'pending', expires_at, created_at, updated_at
     FROM invitations WHERE id = ?`,
  )
    .bind(last)
    .run();

  const row = await env.DB.prepare(
    `SELECT length(id) + length(project_id) + length(token_hash) + length(token_ciphertext)
       + length(client_name) + length(client_email) + length(client_phone) + length(connection_type)
       + length(allowed_phone_countries) + length(status) AS text_bytes
     FROM invitations WHERE id = ?`,
  )
    .bind(last)
    .first<{ text_bytes: number }>();

  const figures = {
    emptyBytes: empty,
    bytesPerInvitationThroughApi: Math.round((afterApi - empty) / THROUGH_API),
    bytesPerInvitationAt100k: Math.round((afterClones - empty) / (THROUGH_API + CLONES)),
    bytesPerEvent: Math.round((afterEvents - afterClones) / EVENTS),
    textBytesOfOneRow: row?.text_bytes,
    rowsWrittenByOneInsert: insert.meta.rows_written,
    // Local workerd and SQLite, one at a time: not production latency (docs/scaling.md).
    localCreateMs: Number(createMs.toFixed(2)),
    databaseBytesAt100k: afterClones,
    perRowBytes: await perObject(THROUGH_API + CLONES),
  };
  console.log(JSON.stringify(figures));
  expect(figures.bytesPerInvitationAt100k).toBeGreaterThan(0);
});
