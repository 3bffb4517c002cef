import { and, eq, inArray, like, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { type MetaWebhookInboxRow, metaWebhookInbox, type SenderStatus, senders } from "../db/schema";
import { logEvent } from "../lib/log";
import { setSenderStatus } from "../senders/status";
import { dispatchPendingEvents, type WebhookMessage } from "../webhooks/outbox";
import { markProcessed } from "./inbox";

/**
 * What Meta's webhook changes do to senders (docs/senders.md, "Statuses"). Meta names a WABA
 * (`entry.id`) or a number, never a project: every sender of that WABA or number, in every
 * project and both modes, is updated. Each change is applied with the inbox row marked
 * processed, in one batch; applying one twice changes nothing more (a status already reached
 * is not written again, so no second event).
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
const text = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const digits = (v: unknown): string | null => {
  const d = typeof v === "string" || typeof v === "number" ? String(v).replace(/\D/g, "") : "";
  return d.length > 0 ? d : null;
};

const whatsapp = eq(senders.channel, "whatsapp");
const ofWaba = (wabaId: string) => and(whatsapp, eq(senders.wabaId, wabaId));
const ofPhoneNumberId = (id: string) => and(whatsapp, eq(senders.providerAccountId, id));
/** A number Meta names by its digits (`display_phone_number`, `phone_number`) within a WABA. */
const ofNumber = (wabaId: string, number: string) =>
  and(ofWaba(wabaId), sql`replace(${senders.phoneNumber}, '+', '') = ${number}`);

type Statement = BatchItem<"sqlite">;

interface Applied {
  statements: Statement[];
  /** "applied" when the field is one this service acts on, else "ignored" (stored only). */
  outcome: "applied" | "ignored";
}

/** The account_update events and the status each gives (null: recorded, no status change). */
const ACCOUNT_EVENT_STATUS: Record<string, SenderStatus | null> = {
  PARTNER_REMOVED: "disconnected",
  PARTNER_ADDED: null,
  ACCOUNT_RESTRICTION: "restricted",
  ACCOUNT_VIOLATION: "restricted",
  BANNED: "disconnected",
  ACCOUNT_BANNED: "disconnected",
  ACCOUNT_DELETED: "disconnected",
};

function accountUpdate(db: Db, row: MetaWebhookInboxRow, value: Json, at: number): Applied {
  const event = text(value.event) ?? "";
  const wabaId = text(obj(value.waba_info).waba_id) ?? row.entryId;
  const number = digits(value.phone_number);
  // An event about one number (restriction, deletion) touches that number; otherwise the WABA.
  const target = number ? ofNumber(wabaId, number) : ofWaba(wabaId);
  if (event === "DISABLED_UPDATE") {
    const state = text(obj(value.ban_info).waba_ban_state);
    const reason = `DISABLED_UPDATE:${state ?? "UNKNOWN"}`;
    if (state === "DISABLE") return applied([setSenderStatus(db, target, "disconnected", reason, at)]);
    if (state === "SCHEDULE_FOR_DISABLE")
      return applied([setSenderStatus(db, target, "restricted", reason, at)]);
    if (state === "REINSTATE") {
      // Lifts only what a ban did: a sender removed or revoked stays so.
      const banned = and(
        target,
        inArray(senders.status, ["restricted", "disconnected"]),
        like(senders.statusReason, "DISABLED_UPDATE:%"),
      );
      return applied([setSenderStatus(db, banned, "active", reason, at)]);
    }
    return { statements: [], outcome: "applied" };
  }
  if (/VERIFICATION/.test(event)) {
    // Business verification: an approval lifts pending_verification; other outcomes are recorded.
    const state = text(value.business_verification_status) ?? text(value.verification_status) ?? "";
    if (/^(VERIFIED|APPROVED)$/.test(state)) {
      const pending = and(ofWaba(wabaId), eq(senders.status, "pending_verification"));
      return applied([setSenderStatus(db, pending, "active", event, at)]);
    }
    return { statements: [], outcome: "applied" };
  }
  if (!(event in ACCOUNT_EVENT_STATUS)) return { statements: [], outcome: "ignored" };
  const status = ACCOUNT_EVENT_STATUS[event];
  return applied(status ? [setSenderStatus(db, target, status, event, at)] : []);
}

function applied(statements: Statement[]): Applied {
  return { statements, outcome: "applied" };
}

function qualityUpdate(db: Db, row: MetaWebhookInboxRow, value: Json, at: number): Applied {
  const number = digits(value.display_phone_number);
  if (!number) return { statements: [], outcome: "ignored" };
  const event = text(value.event);
  const quality =
    text(value.quality_rating) ?? (event === "FLAGGED" ? "RED" : event === "UNFLAGGED" ? "GREEN" : null);
  const tier = text(value.current_limit) ?? text(value.messaging_limit_tier);
  const set: Partial<typeof senders.$inferInsert> = {};
  if (quality) set.qualityRating = quality;
  if (tier) set.messagingLimitTier = tier;
  if (Object.keys(set).length === 0) return applied([]);
  return applied([
    db
      .update(senders)
      .set({ ...set, updatedAt: at })
      .where(ofNumber(row.entryId, number)),
  ]);
}

function nameUpdate(db: Db, row: MetaWebhookInboxRow, value: Json, at: number): Applied {
  const number = digits(value.display_phone_number);
  const decision = text(value.decision);
  if (!number || !decision) return { statements: [], outcome: "ignored" };
  const name = decision === "APPROVED" ? text(value.requested_verified_name) : null;
  return applied([
    db
      .update(senders)
      .set({ nameStatus: decision, ...(name ? { name } : {}), updatedAt: at })
      .where(ofNumber(row.entryId, number)),
  ]);
}

/** The number a coexistence sync change is about (`metadata.phone_number_id`). */
function syncTarget(row: MetaWebhookInboxRow, value: Json): SQL | undefined {
  const metadata = obj(value.metadata);
  const id = text(metadata.phone_number_id);
  if (id) return ofPhoneNumberId(id);
  const number = digits(metadata.display_phone_number);
  return number ? ofNumber(row.entryId, number) : undefined;
}

/** Meta's code for a business that declined to share its history (coexistence). */
export const HISTORY_DECLINED_CODE = 2593109;

function historySync(db: Db, row: MetaWebhookInboxRow, value: Json, at: number): Applied {
  const target = syncTarget(row, value);
  if (!target) return { statements: [], outcome: "ignored" };
  const chunks = Array.isArray(value.history) ? value.history.map(obj) : [];
  const declined = chunks.some((c) =>
    (Array.isArray(c.errors) ? c.errors.map(obj) : []).some((e) => e.code === HISTORY_DECLINED_CODE),
  );
  const done = chunks.some((c) => {
    const m = obj(c.metadata);
    return Number(m.progress) >= 100;
  });
  const open = and(target, inArray(senders.historySyncStatus, ["pending", "syncing"]));
  if (declined)
    return applied([db.update(senders).set({ historySyncStatus: "rejected", updatedAt: at }).where(open)]);
  if (done)
    return applied([
      db
        .update(senders)
        .set({ historySyncStatus: "completed", historySyncCompletedAt: at, updatedAt: at })
        .where(open),
    ]);
  return applied([
    db
      .update(senders)
      .set({ historySyncStatus: "syncing", updatedAt: at })
      .where(and(target, eq(senders.historySyncStatus, "pending"))),
  ]);
}

function contactsSync(db: Db, row: MetaWebhookInboxRow, value: Json, at: number): Applied {
  const target = syncTarget(row, value);
  if (!target) return { statements: [], outcome: "ignored" };
  // Meta sends the requested contacts at once; later ones are the app's live edits.
  return applied([
    db
      .update(senders)
      .set({ contactsSyncStatus: "completed", updatedAt: at })
      .where(and(target, inArray(senders.contactsSyncStatus, ["pending", "syncing"]))),
  ]);
}

/** The statements a stored change makes, and whether it was one this service acts on. */
export function applyChange(db: Db, row: MetaWebhookInboxRow, now: number): Applied {
  if (row.object !== "whatsapp_business_account") return { statements: [], outcome: "ignored" };
  const value = obj(JSON.parse(row.value));
  // Dated as Meta dates the change (entry.time, seconds), else when it is applied.
  const at = row.entryTime !== null ? row.entryTime * 1000 : now;
  switch (row.field) {
    case "account_update":
      return accountUpdate(db, row, value, at);
    case "phone_number_quality_update":
      return qualityUpdate(db, row, value, at);
    case "phone_number_name_update":
      return nameUpdate(db, row, value, at);
    case "history":
      return historySync(db, row, value, at);
    case "smb_app_state_sync":
      return contactsSync(db, row, value, at);
    default:
      return { statements: [], outcome: "ignored" };
  }
}

/** Applies one stored change (by id), once. */
export async function applyStoredChange(
  db: Db,
  id: string,
  now: number,
): Promise<"applied" | "ignored" | "done"> {
  const [row] = await db.select().from(metaWebhookInbox).where(eq(metaWebhookInbox.id, id)).limit(1);
  if (!row || row.processedAt !== null) return "done";
  const { statements, outcome } = applyChange(db, row, now);
  // Marked first in the same transaction: the batch applies all of it or nothing.
  await db.batch([markProcessed(db, id, outcome, now), ...statements]);
  logEvent("info", "meta_webhook_change", { id, field: row.field, outcome });
  return outcome;
}

export async function applyMetaChangeMessage(
  env: Env,
  db: Db,
  message: Message<WebhookMessage>,
): Promise<void> {
  const id = message.body.metaChangeId;
  const outcome = id === undefined ? "done" : await applyStoredChange(db, id, Date.now());
  message.ack();
  // The sender events the change made go out now rather than at the next cron.
  if (outcome === "applied") await dispatchPendingEvents(env, Date.now());
}

/** A change that failed every attempt: marked failed (kept until the retention purge). */
export async function consumeMetaChangeDeadLetter(db: Db, message: Message<WebhookMessage>): Promise<void> {
  const id = message.body.metaChangeId;
  if (id !== undefined) await markProcessed(db, id, "failed", Date.now());
  logEvent("warn", "meta_webhook_dead_letter", { id: id ?? null, queueAttempts: message.attempts });
  message.ack();
}
