import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { metaWebhookInbox, type SenderRow, senderEvents, senders } from "../../src/db/schema";
import { randomId } from "../../src/lib/crypto";
import { metaSignatureHeader } from "../../src/meta-webhooks/signature";
import { appWith, type Caller } from "../support/app";
import { waitFor } from "../webhooks/support/webhooks";

export const APP_SECRET = "meta-app-secret-for-tests-0123456789";
export const VERIFY_TOKEN = "verify-token-for-tests-9876543210";

/** The Worker with the Meta app's secrets set (the test env has none). */
export function metaApp(bindings: Partial<Env> = {}): Caller {
  return appWith(
    {},
    { ...env, META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN, ...bindings },
  );
}

/** POSTs `payload` as Meta would: the exact bytes, signed with `secret`. */
export async function deliver(
  app: Caller,
  payload: unknown,
  { secret = APP_SECRET, signature }: { secret?: string; signature?: string | null } = {},
): Promise<Response> {
  const body = JSON.stringify(payload);
  const header = signature === undefined ? await metaSignatureHeader(secret, body) : signature;
  return app("/meta/webhooks", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(header === null ? {} : { "X-Hub-Signature-256": header }),
    },
    body,
  });
}

let counter = 0;
/** Ids no other test uses: a WABA, a phone-number id and a number of one's own. */
export function freshAccount() {
  counter += 1;
  const n = `${Date.now() % 1_000_000_000}${counter}`.padStart(12, "0");
  const phoneDigits = `1415${n.slice(-7)}`;
  return { wabaId: `5${n}`, phoneNumberId: `6${n}`, phoneDigits, phone: `+${phoneDigits}` };
}

/** A sender row as a completed connection leaves it (the flow itself is tested elsewhere). */
export async function seedSender(
  projectId: string,
  mode: "live" | "test",
  account: { wabaId: string; phoneNumberId: string; phone: string },
  values: Partial<typeof senders.$inferInsert> = {},
): Promise<SenderRow> {
  const now = Date.now();
  const [row] = await createDb(env.DB)
    .insert(senders)
    .values({
      id: randomId("snd"),
      projectId,
      channel: "whatsapp",
      providerAccountId: account.phoneNumberId,
      wabaId: account.wabaId,
      businessId: "100000000000021",
      phoneNumber: account.phone,
      displayPhoneNumber: account.phone,
      name: "Seeded Business",
      mode,
      invitationId: randomId("inv"),
      accessTokenCiphertext: "sealed",
      createdAt: now,
      updatedAt: now,
      connectedAt: now,
      statusChangedAt: now,
      ...values,
    })
    .returning();
  if (!row) throw new Error("no sender");
  return row;
}

export async function senderRow(id: string): Promise<SenderRow> {
  const [row] = await createDb(env.DB).select().from(senders).where(eq(senders.id, id));
  if (!row) throw new Error(`no sender ${id}`);
  return row;
}

export function eventsOfSender(id: string) {
  return createDb(env.DB)
    .select()
    .from(senderEvents)
    .where(eq(senderEvents.senderId, id))
    .orderBy(senderEvents.createdAt, senderEvents.id);
}

export function inboxOf(entryId: string) {
  return createDb(env.DB).select().from(metaWebhookInbox).where(eq(metaWebhookInbox.entryId, entryId));
}

/** Waits until the queue consumer has processed `count` changes of the WABA (no fewer, no more). */
export async function waitProcessed(entryId: string, count: number) {
  return waitFor(`${count} processed changes of ${entryId}`, async () => {
    const rows = await inboxOf(entryId);
    if (rows.length > count) throw new Error(`expected ${count} inbox rows, got ${rows.length}`);
    return rows.length === count && rows.every((r) => r.processedAt !== null) ? rows : undefined;
  });
}
