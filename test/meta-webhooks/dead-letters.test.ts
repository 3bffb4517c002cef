import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { metaWebhookInbox } from "../../src/db/schema";
import worker from "../../src/index";
import { createProject } from "../support/api";
import { freshAccount, seedSender, senderRow } from "./support";

// The queue handler's side of Meta's changes: a change message on the delivery queue is
// applied; the same message on the dead-letter queue (every attempt failed) marks it failed.

async function handle(queue: string, metaChangeId: string) {
  const batch = createMessageBatch(queue, [
    { id: `msg-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: { metaChangeId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env, ctx);
  return getQueueResult(batch, ctx);
}

async function stored(id: string, entryId: string) {
  await createDb(env.DB)
    .insert(metaWebhookInbox)
    .values({
      id,
      object: "whatsapp_business_account",
      entryId,
      field: "account_update",
      value: JSON.stringify({ event: "PARTNER_REMOVED", waba_info: { waba_id: entryId } }),
      entryTime: 1_765_000_000,
      receivedAt: Date.now(),
      leaseUntil: Date.now() + 300_000,
    });
}

const rowOf = async (id: string) =>
  (await createDb(env.DB).select().from(metaWebhookInbox).where(eq(metaWebhookInbox.id, id)))[0];

describe("Meta's changes in the queue handler", () => {
  it("on the delivery queue: applied once, acked; a second message for it changes nothing", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const id = `mwh_q_${account.wabaId}`;
    await stored(id, account.wabaId);
    const first = await handle(env.WEBHOOK_QUEUE_NAME, id);
    expect(first.explicitAcks).toHaveLength(1);
    const applied = await rowOf(id);
    expect([applied?.outcome, applied?.leaseUntil]).toEqual(["applied", null]);
    expect((await senderRow(sender.id)).status).toBe("disconnected");
    const second = await handle(env.WEBHOOK_QUEUE_NAME, id);
    expect(second.explicitAcks).toHaveLength(1);
    expect(await rowOf(id)).toEqual(applied);
  });

  it("on the dead-letter queue: marked failed (kept for the purge), not applied", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const id = `mwh_dlq_${account.wabaId}`;
    await stored(id, account.wabaId);
    const result = await handle(env.WEBHOOK_DLQ_NAME, id);
    expect(result.explicitAcks).toHaveLength(1);
    const row = await rowOf(id);
    expect([row?.outcome, row?.processedAt === null]).toEqual(["failed", false]);
    expect((await senderRow(sender.id)).status).toBe("active");
  });
});
