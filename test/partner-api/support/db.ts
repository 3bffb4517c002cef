import { env } from "cloudflare:workers";
import type { InvitationStatus } from "../../../src/db/schema";
import { encryptSecret, randomId, randomToken } from "../../../src/lib/crypto";

// Direct D1 access for arranging states and time; the API is what the tests then check.

export interface RawInvitationRow {
  id: string;
  project_id: string;
  status: InvitationStatus;
  expires_at: number;
  created_at: number;
  updated_at: number;
  cancelled_at: number | null;
}

export type { EventDbRow as EventRow } from "../../support/db";
export { eventsOf, setExpiresAt, setStatus } from "../../support/db";

export async function readRow(id: string): Promise<RawInvitationRow> {
  const row = await env.DB.prepare(
    "SELECT id, project_id, status, expires_at, created_at, updated_at, cancelled_at FROM invitations WHERE id = ?",
  )
    .bind(id)
    .first<RawInvitationRow>();
  if (!row) throw new Error(`no invitation row ${id}`);
  return row;
}

let sharedCiphertext: Promise<string> | undefined;
/** One real token ciphertext, reused by bulk rows: reads decrypt it like any other. */
function ciphertext(): Promise<string> {
  sharedCiphertext ??= encryptSecret(env.ENCRYPTION_KEYS, randomToken(32), "invitations.token_ciphertext");
  return sharedCiphertext;
}

export interface BulkRow {
  createdAt: number;
  expiresAt: number;
  status?: InvitationStatus;
  updatedAt?: number;
}

const ROWS_PER_STATEMENT = 100;
const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
const int = (value: number) => {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
};

/**
 * Inserts invitation rows fast: multi-row INSERTs of ~100 rows, sent as one D1 batch. Every
 * row gets a random id and a unique token_hash; returns the ids in the order of `rows`.
 */
export async function bulkInsertInvitations(projectId: string, rows: readonly BulkRow[]): Promise<string[]> {
  const sealed = await ciphertext();
  const ids = rows.map(() => randomId("inv"));
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const values = rows.slice(start, start + ROWS_PER_STATEMENT).map((row, offset) => {
      const id = ids[start + offset] as string;
      return `(${[
        quote(id),
        quote(projectId),
        quote(`bulk-${id}-${randomToken(16)}`),
        quote(sealed),
        quote("whatsapp_waba"),
        quote(row.status ?? "pending"),
        int(row.expiresAt),
        int(row.createdAt),
        int(row.updatedAt ?? row.createdAt),
      ].join(",")})`;
    });
    statements.push(
      env.DB.prepare(
        `INSERT INTO invitations (id, project_id, token_hash, token_ciphertext, connection_type, status, expires_at, created_at, updated_at) VALUES ${values.join(",")}`,
      ),
    );
  }
  if (statements.length > 0) await env.DB.batch(statements);
  return ids;
}
