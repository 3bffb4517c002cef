import { and, desc, eq, exists, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  invitationEvents,
  type SignatureVersion,
  senderEvents,
  type WebhookEventType,
  type WebhookRow,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import { mayQueueEvents } from "../db/session";
import type { CursorPosition } from "../invitations/cursor";
import type { Tenant } from "../projects/tenant";
import { eventTypeOf, type Outbox } from "./outbox";
import { SECRET_ROTATION_OVERLAP_MS } from "./signature";

/** A project has one webhook per mode, and a key reaches only its own mode's. */
function ownedBy(owner: Tenant): SQL {
  return and(eq(webhooks.projectId, owner.projectId), eq(webhooks.mode, owner.mode)) as SQL;
}

/**
 * Creates the project's webhook of the key's mode with the `sealed` secret (signed `v2` unless
 * `signatureVersion` says otherwise), or replaces URL and events and reactivates it, keeping
 * its secret (and a rotated-out one in its overlap) and, unless given, its signature version.
 * The statement, returning the row.
 */
export function upsertWebhook(db: Db, owner: Tenant, input: WebhookInput, sealed: string, now: number) {
  const { signatureVersion, ...fields } = input;
  return db
    .insert(webhooks)
    .values({
      ...owner,
      ...fields,
      signatureVersion: signatureVersion ?? "v2",
      active: true,
      secretCiphertext: sealed,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [webhooks.projectId, webhooks.mode],
      set: { ...fields, ...(signatureVersion ? { signatureVersion } : {}), active: true, updatedAt: now },
    })
    .returning();
}

export interface WebhookInput {
  url: string;
  events: WebhookEventType[];
  signatureVersion?: SignatureVersion | undefined;
}

export function findWebhook(db: Db, owner: Tenant) {
  return db.select().from(webhooks).where(ownedBy(owner)).limit(1);
}

/**
 * True in SQL while the project's webhook shows what `row` shows (URL, events, active, secret,
 * signature version):
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
          eq(webhooks.signatureVersion, row.signatureVersion),
        ),
      ),
  );
}

export async function updateWebhook(
  db: Db,
  owner: Tenant,
  changes: {
    url?: string | undefined;
    events?: WebhookEventType[] | undefined;
    active?: boolean | undefined;
    signatureVersion?: SignatureVersion | undefined;
  },
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

/**
 * Replaces the secret with the `sealed` one; the secret it replaces keeps signing deliveries
 * for SECRET_ROTATION_OVERLAP_MS (a second rotation within that time drops the oldest: only the
 * one just replaced stays). The statement, returning the row (none: no webhook).
 */
export function rotateWebhookSecret(db: Db, owner: Tenant, sealed: string, now: number) {
  return db
    .update(webhooks)
    .set(rotatedSecret(sealed, now, sql`${webhooks.secretCiphertext}`))
    .where(ownedBy(owner))
    .returning();
}

/** The columns a rotation sets, given what the current secret is (SQLite's SET reads old values). */
export function rotatedSecret<T>(sealed: string, now: number, current: T) {
  return {
    secretCiphertext: sealed,
    previousSecretCiphertext: current,
    previousSecretExpiresAt: now + SECRET_ROTATION_OVERLAP_MS,
    updatedAt: now,
  };
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

function eventOwnedBy(table: Outbox, owner: Tenant, eventId: string): SQL {
  return and(eq(table.id, eventId), eq(table.projectId, owner.projectId), eq(table.mode, owner.mode)) as SQL;
}

/** True in SQL when the webhook's `events` (a JSON list) names `type`. */
function webhookLists(type: WebhookEventType): SQL {
  return sql`exists (select 1 from json_each(${webhooks.events}) where value = ${type})`;
}

/**
 * The project's event and what its webhook would do with it, to judge a resend: no row when the
 * event is not the project's.
 */
export function findEventForResend(db: Db, owner: Tenant, eventId: string) {
  const from = (table: Outbox) =>
    db
      .select({
        eventId: table.id,
        type: sql<WebhookEventType>`${eventTypeOf(table)}`,
        webhookActive: webhooks.active,
        subscribed: sql<boolean>`${webhookLists(eventTypeOf(table))}`.mapWith(Boolean),
      })
      .from(table)
      .leftJoin(webhooks, and(eq(webhooks.projectId, table.projectId), eq(webhooks.mode, table.mode)))
      .where(eventOwnedBy(table, owner, eventId));
  return from(invitationEvents).unionAll(from(senderEvents)).limit(1);
}

export type ResendCheck = {
  eventId: string;
  type: WebhookEventType;
  webhookActive: boolean | null;
  subscribed: boolean;
};

/** The project's webhook of the key's mode is active and lists `type`. */
function deliversType(db: Db, owner: Tenant, type: WebhookEventType): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(webhooks)
      .where(and(ownedBy(owner), eq(webhooks.active, true), webhookLists(type))),
  );
}

/**
 * Puts the event back in its outbox if it is the project's and the project's webhook is active
 * and lists its type (the dispatcher that runs after the request queues it): one statement per
 * outbox, each returning the id it requeued (at most one of them does).
 */
export function requeueEvent(db: Db, owner: Tenant, eventId: string) {
  mayQueueEvents(db);
  const requeue = (table: Outbox) =>
    db
      .update(table)
      .set({ deliveryState: "pending", leaseUntil: null })
      .where(and(eventOwnedBy(table, owner, eventId), deliversType(db, owner, eventTypeOf(table))))
      .returning({ id: table.id });
  return [requeue(invitationEvents), requeue(senderEvents)] as const;
}

/**
 * True in SQL when `requeueEvent` applies: right after it, whether it did (it changes neither
 * the event's project nor the webhook).
 */
export function requeueApplies(db: Db, owner: Tenant, eventId: string): SQL {
  const applies = (table: Outbox) =>
    and(
      exists(
        db
          .select({ one: sql`1` })
          .from(table)
          .where(eventOwnedBy(table, owner, eventId)),
      ),
      deliversType(db, owner, eventTypeOf(table)),
    ) as SQL;
  return or(applies(invitationEvents), applies(senderEvents)) as SQL;
}
