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
  /** Whether the WABA had a funding source at this connection; null for a Page (or unknown). */
  wabaFunded: boolean | null;
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
 * after a cancel leaves nothing behind. The project's first sender of a mode becomes its default;
 * a reconnect keeps the partner's name and the default as they are, renews the token and the
 * WABA's funding, and makes a
 * sender whose access was lost (`reauthorization_required`, `disconnected`, `error`) `active`
 * again (one sender.status_changed event, reason `reconnected`). A D1 statement (drizzle cannot batch a raw query with
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
        registered_at, is_default, created_at, updated_at, connected_at, status_changed_at, waba_funded)
      SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
        NOT EXISTS (SELECT 1 FROM senders WHERE project_id = ?2 AND mode = ?10 AND is_default = 1),
        ?14, ?14, ?14, ?14, ?16
      WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?11
        AND status = 'in_progress' AND started_at = ?15 AND expires_at > ?14)
      ON CONFLICT (project_id, mode, channel, provider_account_id) DO UPDATE SET
        waba_id = excluded.waba_id, business_id = excluded.business_id,
        phone_number = excluded.phone_number, display_phone_number = excluded.display_phone_number,
        name = excluded.name, invitation_id = excluded.invitation_id,
        access_token_ciphertext = excluded.access_token_ciphertext,
        registered_at = COALESCE(excluded.registered_at, senders.registered_at),
        waba_funded = excluded.waba_funded,
        updated_at = excluded.updated_at, connected_at = excluded.connected_at,
        status_reason = CASE WHEN senders.status IN ('reauthorization_required', 'disconnected', 'error')
          THEN 'reconnected' ELSE senders.status_reason END,
        status_changed_at = CASE WHEN senders.status IN ('reauthorization_required', 'disconnected', 'error')
          THEN excluded.updated_at ELSE senders.status_changed_at END,
        status = CASE WHEN senders.status IN ('reauthorization_required', 'disconnected', 'error')
          THEN 'active' ELSE senders.status END`,
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
      v.wabaFunded === null ? null : v.wabaFunded ? 1 : 0,
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

const inTenant = (tenant: Tenant) =>
  and(eq(senders.projectId, tenant.projectId), eq(senders.mode, tenant.mode));

/**
 * Renames the sender and/or makes it the default, in one batch (one transaction): the previous
 * default is unset only while the sender still exists, so a sender deleted meanwhile leaves the
 * default where it was. The partial unique index keeps one default per project and mode.
 */
export async function updateSender(
  db: Db,
  tenant: Tenant,
  id: string,
  change: { customName?: string; setAsDefault: boolean },
  now: number,
): Promise<SenderRow | undefined> {
  const target = and(eq(senders.id, id), inTenant(tenant));
  const stillThere = sql`EXISTS (SELECT 1 FROM ${senders} WHERE ${target})`;
  const [, , rows] = await db.batch([
    db
      .update(senders)
      .set({ isDefault: false, updatedAt: now })
      .where(
        change.setAsDefault
          ? and(inTenant(tenant), eq(senders.isDefault, true), sql`${senders.id} <> ${id}`, stillThere)
          : sql`0`,
      ),
    db
      .update(senders)
      .set({
        updatedAt: now,
        ...(change.customName === undefined ? {} : { customName: change.customName }),
        ...(change.setAsDefault ? { isDefault: true } : {}),
      })
      .where(target),
    db.select().from(senders).where(target).limit(1),
  ]);
  return rows[0];
}

/**
 * Deletes the sender (its sealed token with it) and, when it was the default, makes the oldest
 * remaining sender of the project and mode the default: one batch. The number's PIN is kept.
 * Returns whether a row was deleted.
 */
export async function deleteSender(db: Db, tenant: Tenant, id: string, now: number): Promise<boolean> {
  const [deleted] = await db.batch([
    db
      .delete(senders)
      .where(and(eq(senders.id, id), inTenant(tenant)))
      .returning({ id: senders.id }),
    db
      .update(senders)
      .set({ isDefault: true, updatedAt: now })
      .where(
        and(
          sql`${senders.id} = (SELECT s.id FROM ${senders} s WHERE s.project_id = ${tenant.projectId} AND s.mode = ${tenant.mode} ORDER BY s.created_at, s.id LIMIT 1)`,
          sql`NOT EXISTS (SELECT 1 FROM ${senders} s WHERE s.project_id = ${tenant.projectId} AND s.mode = ${tenant.mode} AND s.is_default = 1)`,
        ),
      ),
  ]);
  return deleted.length > 0;
}

/** How long a delete's mark counts: a Worker that died mid-delete must not hide its sender for long. */
export const DELETING_MARK_MS = 60_000;

/**
 * Marks the sender as being deleted, before the shared-account check: of two concurrent deletes
 * of a WABA's last senders, the one that checks last sees the other marked (or gone), so at
 * least one of them unsubscribes the app. Without the mark both could see the other still
 * there and both skip it.
 */
export async function markDeleting(db: Db, id: string, now: number): Promise<void> {
  await db.update(senders).set({ deletingSince: now }).where(eq(senders.id, id));
}

/** A delete that stopped (Meta unreachable): the sender counts as a user of its account again. */
export async function unmarkDeleting(db: Db, id: string): Promise<void> {
  await db.update(senders).set({ deletingSince: null }).where(eq(senders.id, id));
}

/**
 * Whether another sender of the same mode (any project) uses the same WABA or Page and is not
 * itself being deleted: the app's subscription is one per WABA or Page, so unsubscribing would
 * cut that sender off too. Test and live senders reach different Metas (the fake, the real one).
 */
export async function sharedAccount(db: Db, row: SenderRow, now: number): Promise<boolean> {
  const same =
    row.channel === "whatsapp" && row.wabaId
      ? eq(senders.wabaId, row.wabaId)
      : and(eq(senders.channel, row.channel), eq(senders.providerAccountId, row.providerAccountId));
  const staying = sql`(${senders.deletingSince} IS NULL OR ${senders.deletingSince} <= ${now - DELETING_MARK_MS})`;
  const [other] = await db
    .select({ id: senders.id })
    .from(senders)
    .where(and(same, eq(senders.mode, row.mode), sql`${senders.id} <> ${row.id}`, staying))
    .limit(1);
  return other !== undefined;
}
