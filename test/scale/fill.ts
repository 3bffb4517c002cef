import { env } from "cloudflare:workers";

/**
 * Bulk rows for scale measurements: `count` copies of a template invitation (a real one, made
 * through the API, so column lengths and the sealed token are what production stores), each
 * with its own id, token hash and timestamps, written by one INSERT ... SELECT per batch.
 * Statuses cycle through all six, so a status filter selects about a sixth.
 */
export async function cloneInvitations(options: {
  templateId: string;
  projectId: string;
  count: number;
  /** created_at of the first clone; each next one is `stepMs` (default 1) later (newest = last). */
  startAt: number;
  stepMs?: number;
  /** Every other clone a messenger invitation (else all are the template's type). */
  alternateConnectionType?: boolean;
  batch?: number;
}): Promise<void> {
  const batch = options.batch ?? 50_000;
  const step = options.stepMs ?? 1;
  const type = options.alternateConnectionType
    ? "CASE i % 2 WHEN 0 THEN 'whatsapp_waba' ELSE 'messenger' END"
    : "t.connection_type";
  for (let done = 0; done < options.count; done += batch) {
    const n = Math.min(batch, options.count - done);
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1 + ?2 - 1)
       INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, client_name, client_email,
         client_phone, phone_number_id, connection_type, allowed_phone_countries, status, expires_at,
         created_at, updated_at, cancelled_at, completed_at)
       SELECT 'inv_' || substr(lower(hex(randomblob(12))), 1, 24), ?3, lower(hex(randomblob(32))),
         t.token_ciphertext, t.client_name, t.client_email, t.client_phone, NULL, ${type},
         t.allowed_phone_countries,
         CASE i % 6 WHEN 0 THEN 'pending' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'completed'
                    WHEN 3 THEN 'expired' WHEN 4 THEN 'cancelled' ELSE 'failed' END,
         ?4 + i * ${step} + 30 * 86400000, ?4 + i * ${step}, ?4 + i * ${step},
         CASE i % 6 WHEN 4 THEN ?4 + i * ${step} END, CASE i % 6 WHEN 2 THEN ?4 + i * ${step} END
       FROM seq, invitations t WHERE t.id = ?5`,
    )
      .bind(done, n, options.projectId, options.startAt, options.templateId)
      .run();
  }
}

/** The database's size as D1 reports it (`meta.size_after`: what counts against the limit). */
export async function databaseBytes(): Promise<number> {
  const { meta } = await env.DB.prepare("SELECT 1").run();
  return Number(meta.size_after);
}
