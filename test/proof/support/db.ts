import { env } from "cloudflare:workers";

// Direct reads (and, for arranging states, writes) of the local D1 the Worker uses.

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
  status: string;
  expires_at: number;
  viewed_at: number | null;
  cancelled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface EventDbRow {
  id: string;
  invitation_id: string;
  project_id: string;
  previous_status: string;
  current_status: string;
  created_at: number;
}

export async function invitationRow(id: string): Promise<InvitationDbRow | null> {
  return env.DB.prepare("SELECT * FROM invitations WHERE id = ?").bind(id).first<InvitationDbRow>();
}

export async function invitationCount(projectId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations WHERE project_id = ?")
    .bind(projectId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

export async function eventsOf(invitationId: string): Promise<EventDbRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM invitation_events WHERE invitation_id = ? ORDER BY created_at, id",
  )
    .bind(invitationId)
    .all<EventDbRow>();
  return results;
}

/** Moves `expires_at` (time passes without the sweep having run: status stays open). */
export async function setExpiresAt(id: string, expiresAt: number): Promise<void> {
  await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE id = ?").bind(expiresAt, id).run();
}

export async function setStatus(id: string, status: string): Promise<void> {
  await env.DB.prepare("UPDATE invitations SET status = ? WHERE id = ?").bind(status, id).run();
}
