import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { InvitationStatus } from "../../src/db/schema";

// Direct access to the local D1 behind the Worker: reads to check what a request stored (or
// did not), writes to arrange a state or move time. What the tests judge is the API.

/** An `invitations` row as stored (snake_case columns). */
export interface InvitationDbRow {
  id: string;
  project_id: string;
  token_hash: string;
  token_ciphertext: string;
  client_name: string | null;
  client_email: string | null;
  client_phone: string | null;
  phone_number_id: string | null;
  connection_type: string;
  allowed_phone_countries: string | null;
  status: InvitationStatus;
  expires_at: number;
  viewed_at: number | null;
  cancelled_at: number | null;
  created_at: number;
  updated_at: number;
  [column: string]: unknown;
}

export interface EventDbRow {
  id: string;
  invitation_id: string;
  project_id: string;
  previous_status: string;
  current_status: string;
  created_at: number;
}

/** Invitations of one project, or of the whole database. */
export async function countInvitations(projectId?: string): Promise<number> {
  const row =
    projectId === undefined
      ? await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations").first<{ n: number }>()
      : await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations WHERE project_id = ?")
          .bind(projectId)
          .first<{ n: number }>();
  if (!row) throw new Error("COUNT(*) returned no row");
  return row.n;
}

/** The stored row, or null when there is none. */
export function findInvitationRow(id: string): Promise<InvitationDbRow | null> {
  return env.DB.prepare("SELECT * FROM invitations WHERE id = ?").bind(id).first<InvitationDbRow>();
}

/** The stored row; throws when there is none. */
export async function invitationRow(id: string): Promise<InvitationDbRow> {
  const row = await findInvitationRow(id);
  if (!row) throw new Error(`no invitations row with id ${id}`);
  return row;
}

/** The status changes recorded for an invitation (by the trigger), oldest first. */
export async function eventsOf(invitationId: string): Promise<EventDbRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM invitation_events WHERE invitation_id = ? ORDER BY created_at, rowid",
  )
    .bind(invitationId)
    .all<EventDbRow>();
  return results;
}

// RETURNING, not meta.changes: D1 counts the trigger's insert as a change too.
async function updateOne(sql: string, id: string, value: string | number, what: string): Promise<void> {
  const row = await env.DB.prepare(sql).bind(value, id).first();
  if (!row) throw new Error(`${what}: no invitations row with id ${id}`);
}

/** Sets the stored status directly (the trigger records the change, as for any writer). */
export function setStatus(id: string, status: InvitationStatus): Promise<void> {
  return updateOne("UPDATE invitations SET status = ? WHERE id = ? RETURNING id", id, status, "setStatus");
}

/** Moves `expires_at`: time passes without the sweep having run, so the status stays open. */
export function setExpiresAt(id: string, expiresAt: number): Promise<void> {
  return updateOne(
    "UPDATE invitations SET expires_at = ? WHERE id = ? RETURNING id",
    id,
    expiresAt,
    "setExpiresAt",
  );
}

/**
 * Rewrites the SQL of every query the app runs through its per-request D1 sessions
 * (src/db/session.ts), to make a chosen query fail for real. Restore the returned spy.
 */
export function rewriteAppQueries(rewrite: (sql: string) => string) {
  const withSession = env.DB.withSession.bind(env.DB);
  return vi.spyOn(env.DB, "withSession").mockImplementation((constraint) => {
    const session = withSession(constraint);
    return {
      prepare: (sql: string) => session.prepare(rewrite(sql)),
      batch: (statements) => session.batch(statements),
      getBookmark: () => session.getBookmark(),
    } as D1DatabaseSession;
  });
}
