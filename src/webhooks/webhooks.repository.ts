import { and, desc, eq, exists, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  invitationEvents,
  type WebhookEventType,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import type { CursorPosition } from "../invitations/cursor";
import type { Tenant } from "../projects/tenant";

/** A project has one webhook per mode, and a key reaches only its own mode's. */
function ownedBy(owner: Tenant): SQL {
  return and(eq(webhooks.projectId, owner.projectId), eq(webhooks.mode, owner.mode)) as SQL;
}

/**
 * Creates the project's webhook with the `sealed` secret, or replaces URL and events and
 * activates it (keeping its secret): the statement, returning the row as it leaves it.
 */
export function upsertWebhook(
  db: Db,
  owner: Tenant,
  input: { url: string; events: WebhookEventType[] },
  sealed: string,
  now: number,
) {
  return db
    .insert(webhooks)
    .values({ ...owner, ...input, active: true, secretCiphertext: sealed, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [webhooks.projectId, webhooks.mode],
      set: { ...input, active: true, updatedAt: now },
    })
    .returning();
}

export function findWebhook(db: Db, owner: Tenant) {
  return db.select().from(webhooks).where(ownedBy(owner)).limit(1);
}

/**
 * True in SQL while the project's webhook shows what `row` shows (URL, events, active, secret):
 * checked right after a write, it says whether the write left what its answer was built from.
 * `events` compares as the JSON text drizzle writes; a row written otherwise only fails the
 * check, which costs the caller its fallback, never a wrong answer.
 */
export function webhookIs(db: Db, row: WebhookRow): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(webhooks)
      .where(
        and(
          eq(webhooks.projectId, row.projectId),
          eq(webhooks.mode, row.mode),
          eq(webhooks.url, row.url),
          eq(webhooks.events, row.events),
          eq(webhooks.active, row.active),
          eq(webhooks.secretCiphertext, row.secretCiphertext),
        ),
      ),
  );
}

export async function updateWebhook(
  db: Db,
  owner: Tenant,
  changes: { url?: string; events?: WebhookEventType[]; active?: boolean },
  now: number,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({ ...changes, updatedAt: now })
    .where(ownedBy(owner))
    .returning();
  return row;
}

export async function deleteWebhook(db: Db, owner: Tenant): Promise<void> {
  await db.delete(webhooks).where(ownedBy(owner));
}

/** Replaces the secret with the `sealed` one: the statement, returning the row (none: no webhook). */
export function rotateWebhookSecret(db: Db, owner: Tenant, sealed: string, now: number) {
  return db
    .update(webhooks)
    .set({ secretCiphertext: sealed, updatedAt: now })
    .where(ownedBy(owner))
    .returning();
}

/** One newest-first page of the project's delivery attempts, plus one row to tell if more exist. */
export function listDeliveries(db: Db, owner: Tenant, after: CursorPosition | undefined, limit: number) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.projectId, owner.projectId),
        eq(webhookDeliveries.mode, owner.mode),
        after === undefined
          ? undefined
          : sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${after.createdAt}, ${after.id})`,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit + 1);
}

/** The project's event and webhook, to judge a resend: no row when the event is not the project's. */
export function findEventForResend(db: Db, owner: Tenant, eventId: string) {
  return db
    .select({ eventId: invitationEvents.id, webhookActive: webhooks.active })
    .from(invitationEvents)
    .leftJoin(
      webhooks,
      and(eq(webhooks.projectId, invitationEvents.projectId), eq(webhooks.mode, invitationEvents.mode)),
    )
    .where(and(eq(invitationEvents.id, eventId), eventOwnedBy(owner)))
    .limit(1);
}

function eventOwnedBy(owner: Tenant): SQL {
  return and(eq(invitationEvents.projectId, owner.projectId), eq(invitationEvents.mode, owner.mode)) as SQL;
}

export type ResendCheck = { eventId: string; webhookActive: boolean | null };

function hasActiveWebhook(db: Db, owner: Tenant): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(webhooks)
      .where(and(ownedBy(owner), eq(webhooks.active, true))),
  );
}

/**
 * Puts the event back in the outbox if it is the project's and the project's webhook is active
 * (the dispatcher that runs after the request queues it): the statement, returning the id.
 */
export function requeueEvent(db: Db, owner: Tenant, eventId: string) {
  return db
    .update(invitationEvents)
    .set({ deliveryState: "pending", leaseUntil: null })
    .where(and(eq(invitationEvents.id, eventId), eventOwnedBy(owner), hasActiveWebhook(db, owner)))
    .returning({ id: invitationEvents.id });
}

/**
 * True in SQL when `requeueEvent` applies: right after it, whether it did (it changes neither
 * the event's project nor the webhook).
 */
export function requeueApplies(db: Db, owner: Tenant, eventId: string): SQL {
  const event = db
    .select({ one: sql`1` })
    .from(invitationEvents)
    .where(and(eq(invitationEvents.id, eventId), eventOwnedBy(owner)));
  return and(exists(event), hasActiveWebhook(db, owner)) as SQL;
}
