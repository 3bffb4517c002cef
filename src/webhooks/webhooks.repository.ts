import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  invitationEvents,
  type WebhookEventType,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import type { CursorPosition } from "../invitations/cursor";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import { generateWebhookSecret } from "./signature";

export interface WebhookWithSecret {
  row: WebhookRow;
  secret: string;
}

/** Creates the project's webhook, or replaces URL and events and activates it (keeping the secret). */
export async function upsertWebhook(
  db: Db,
  encryptionKeys: string,
  projectId: string,
  input: { url: string; events: WebhookEventType[] },
  now: number,
): Promise<WebhookWithSecret & { created: boolean }> {
  const secret = generateWebhookSecret();
  const sealed = await encryptSecret(encryptionKeys, secret);
  const [row] = await db
    .insert(webhooks)
    .values({ projectId, ...input, active: true, secretCiphertext: sealed, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: webhooks.projectId, set: { ...input, active: true, updatedAt: now } })
    .returning();
  if (!row) throw new Error("upsert returned no row");
  const created = row.secretCiphertext === sealed;
  return {
    row,
    created,
    secret: created ? secret : await decryptSecret(encryptionKeys, row.secretCiphertext),
  };
}

export async function findWebhook(db: Db, projectId: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.projectId, projectId)).limit(1);
  return row;
}

export async function updateWebhook(
  db: Db,
  projectId: string,
  changes: { url?: string; events?: WebhookEventType[]; active?: boolean },
  now: number,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({ ...changes, updatedAt: now })
    .where(eq(webhooks.projectId, projectId))
    .returning();
  return row;
}

export async function deleteWebhook(db: Db, projectId: string): Promise<void> {
  await db.delete(webhooks).where(eq(webhooks.projectId, projectId));
}

export async function rotateWebhookSecret(
  db: Db,
  encryptionKeys: string,
  projectId: string,
  now: number,
): Promise<WebhookWithSecret | undefined> {
  const secret = generateWebhookSecret();
  const [row] = await db
    .update(webhooks)
    .set({ secretCiphertext: await encryptSecret(encryptionKeys, secret), updatedAt: now })
    .where(eq(webhooks.projectId, projectId))
    .returning();
  return row && { row, secret };
}

/** One newest-first page of the project's delivery attempts, plus one row to tell if more exist. */
export function listDeliveries(db: Db, projectId: string, after: CursorPosition | undefined, limit: number) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.projectId, projectId),
        after === undefined
          ? undefined
          : sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${after.createdAt}, ${after.id})`,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit + 1);
}

/** The project's event and webhook, to judge a resend; undefined when the event is not the project's. */
export async function findEventForResend(db: Db, projectId: string, eventId: string) {
  const [row] = await db
    .select({ eventId: invitationEvents.id, webhookActive: webhooks.active })
    .from(invitationEvents)
    .leftJoin(webhooks, eq(webhooks.projectId, invitationEvents.projectId))
    .where(and(eq(invitationEvents.id, eventId), eq(invitationEvents.projectId, projectId)))
    .limit(1);
  return row;
}

/** Puts the event back in the outbox; the dispatcher that runs after the request queues it. */
export async function requeueEvent(db: Db, projectId: string, eventId: string): Promise<boolean> {
  const rows = await db
    .update(invitationEvents)
    .set({ deliveryState: "pending", leaseUntil: null })
    .where(and(eq(invitationEvents.id, eventId), eq(invitationEvents.projectId, projectId)))
    .returning({ id: invitationEvents.id });
  return rows.length > 0;
}
