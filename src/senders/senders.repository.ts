import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type KeyMode, type SenderChannel, type SenderRow, senders } from "../db/schema";
import type { CursorPosition } from "../invitations/cursor";
import { randomId } from "../lib/crypto";
import type { Tenant } from "../projects/tenant";

/** What a completed connection knows of its sender; the secrets come sealed. */
export interface SenderValues {
  projectId: string;
  channel: SenderChannel;
  providerAccountId: string;
  wabaId: string | null;
  businessId: string | null;
  phoneNumber: string | null;
  displayPhoneNumber: string | null;
  name: string | null;
  mode: KeyMode;
  invitationId: string;
  accessTokenCiphertext: string;
  registeredAt: number | null;
}

/** The condition a connection's writes need: its invitation still on the same attempt. */
export interface AttemptGuard {
  invitationId: string;
  startedAt: number;
  now: number;
}

/**
 * Creates the sender, or updates the one this project already has for the same number or Page
 * (a reconnect reuses it, even when two connect at once: the unique index decides). Written only
 * while the invitation is still `in_progress` on the same attempt, so that a connection finishing
 * after a cancel leaves nothing behind. A D1 statement (drizzle cannot batch a raw query with
 * parameters), run in one `DB.batch` before the `complete` transition.
 */
export function upsertSenderStatement(
  d1: D1Database,
  values: SenderValues,
  guard: AttemptGuard,
): D1PreparedStatement {
  const v = values;
  return d1
    .prepare(
      `INSERT INTO senders (id, project_id, channel, provider_account_id, waba_id, business_id,
        phone_number, display_phone_number, name, mode, invitation_id, access_token_ciphertext,
        registered_at, created_at, updated_at)
      SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14
      WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?11
        AND status = 'in_progress' AND started_at = ?15 AND expires_at > ?14)
      ON CONFLICT (project_id, mode, channel, provider_account_id) DO UPDATE SET
        waba_id = excluded.waba_id, business_id = excluded.business_id,
        phone_number = excluded.phone_number, display_phone_number = excluded.display_phone_number,
        name = excluded.name, invitation_id = excluded.invitation_id,
        access_token_ciphertext = excluded.access_token_ciphertext,
        registered_at = COALESCE(excluded.registered_at, senders.registered_at),
        updated_at = excluded.updated_at`,
    )
    .bind(
      randomId("snd"),
      v.projectId,
      v.channel,
      v.providerAccountId,
      v.wabaId,
      v.businessId,
      v.phoneNumber,
      v.displayPhoneNumber,
      v.name,
      v.mode,
      guard.invitationId,
      v.accessTokenCiphertext,
      v.registeredAt,
      guard.now,
      guard.startedAt,
    );
}

/** The id of the project's sender (of this mode) for this account, as a subquery for the same batch. */
export function senderIdSubquery(
  sender: Pick<SenderValues, "projectId" | "mode" | "channel" | "providerAccountId">,
) {
  return sql`(SELECT ${senders.id} FROM ${senders} WHERE ${senders.projectId} = ${sender.projectId} AND ${senders.mode} = ${sender.mode} AND ${senders.channel} = ${sender.channel} AND ${senders.providerAccountId} = ${sender.providerAccountId})`;
}

export async function findSender(db: Db, tenant: Tenant, id: string): Promise<SenderRow | undefined> {
  const [row] = await db
    .select()
    .from(senders)
    .where(and(eq(senders.id, id), eq(senders.projectId, tenant.projectId), eq(senders.mode, tenant.mode)))
    .limit(1);
  return row;
}

/** One newest-first keyset page on `(created_at, id)`, one row more than asked. */
export function listSendersQuery(db: Db, options: Tenant & { after?: CursorPosition; limit: number }) {
  const { after } = options;
  return db
    .select()
    .from(senders)
    .where(
      and(
        eq(senders.projectId, options.projectId),
        eq(senders.mode, options.mode),
        after === undefined
          ? undefined
          : sql`(${senders.createdAt}, ${senders.id}) < (${after.createdAt}, ${after.id})`,
      ),
    )
    .orderBy(desc(senders.createdAt), desc(senders.id))
    .limit(options.limit + 1);
}
