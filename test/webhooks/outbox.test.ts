import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { invitationEvents, invitations, projects } from "../../src/db/schema";
import { transition } from "../../src/invitations/lifecycle";
import { claimOutboxEvents, OUTBOX_LEASE_MS } from "../../src/webhooks/outbox";
import { createInvitation, createProject, postJson } from "../support/api";
import { appWith } from "../support/app";
import { eventsOf, invitationRow } from "../support/db";
import { runCron } from "./support/oracle";
import {
  configureWebhook,
  eventOf,
  outboxRow,
  Receiver,
  sleep,
  transitionAndDispatch,
} from "./support/webhooks";

// The outbox: an event row exists exactly when a status changed, written by the trigger in
// the same statement, and reaches the queue even if the Worker dies after the write.

const db = () => createDb(env.DB);

async function withWebhook() {
  const project = await createProject();
  const receiver = new Receiver();
  await configureWebhook(project.apiKey, receiver.url);
  return { ...project, receiver };
}

describe("a change that did not happen produces no event", () => {
  it("a refused transition (cancel of a cancelled invitation, start of a cancelled one) writes and sends nothing", async () => {
    const { apiKey, receiver } = await withWebhook();
    const invitation = await createInvitation(apiKey);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(400);
    expect(await transitionAndDispatch(invitation.id, { event: "start" })).toBeNull();
    expect(
      await transitionAndDispatch(invitation.id, {
        event: "complete",
        senderId: "s",
        connectedAccount: { id: "1", channel: "whatsapp", name: null },
      }),
    ).toBeNull();
    expect((await eventsOf(invitation.id)).map((e) => e.current_status)).toEqual(["cancelled"]);
    await receiver.waitForExactly(1, { settleMs: 1500 });
  });

  it("a status change rolled back with its batch leaves no event", async () => {
    const { projectId, apiKey, receiver } = await withWebhook();
    const invitation = await createInvitation(apiKey);
    const d = db();
    // The second statement fails (duplicate primary key), so D1 rolls back the whole batch.
    await expect(
      d.batch([
        d
          .update(invitations)
          .set({ status: "cancelled", cancelledAt: Date.now() })
          .where(sql`id = ${invitation.id}`),
        d.insert(projects).values({ id: projectId, name: "duplicate", createdAt: 0 }),
      ]),
    ).rejects.toThrow();
    expect((await invitationRow(invitation.id)).status).toBe("pending");
    expect(await eventsOf(invitation.id)).toEqual([]);
    await runCron(Date.now());
    await receiver.waitForExactly(0, { settleMs: 1500 });
  });
});

describe("concurrent transitions produce one event each", () => {
  it("eight concurrent cancels of one invitation: one wins, one event, one delivery", async () => {
    const { apiKey, receiver } = await withWebhook();
    const invitation = await createInvitation(apiKey);
    const app = appWith({});
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        app(`/v1/invitations/${invitation.id}/cancel`, { method: "POST", apiKey }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(7);
    const events = await eventsOf(invitation.id);
    expect(events).toHaveLength(1);
    const [request] = await receiver.waitForExactly(1, { settleMs: 1000 });
    expect(request && eventOf(request).id).toBe(events[0]?.id);
  });

  it("racing start and cancel: every change that won has exactly one event, delivered once", async () => {
    const { apiKey, receiver } = await withWebhook();
    const created = await Promise.all(Array.from({ length: 6 }, () => createInvitation(apiKey)));
    const now = Date.now();
    const results = await Promise.all(
      created.flatMap((inv) => [
        transition(db(), { id: inv.id }, { event: "start" }, now),
        transition(db(), { id: inv.id }, { event: "cancel" }, now),
      ]),
    );
    await runCron(now);
    const won = results.filter((r) => r !== null).length;
    const events = (await Promise.all(created.map((inv) => eventsOf(inv.id)))).flat();
    expect(events).toHaveLength(won);
    for (const inv of created) {
      const chain = (await eventsOf(inv.id)).map((e) => `${e.previous_status}>${e.current_status}`);
      expect([["pending>cancelled"], ["pending>in_progress", "in_progress>cancelled"]]).toContainEqual(chain);
    }
    const requests = await receiver.waitForExactly(won, { settleMs: 1000 });
    expect(requests.map((r) => eventOf(r).id).sort()).toEqual(events.map((e) => e.id).sort());
  });
});

describe("a crash between the write and the enqueue is recovered by the cron", () => {
  it("an event written but never claimed (no dispatch ran) is queued by the next cron", async () => {
    const { apiKey, receiver } = await withWebhook();
    const invitation = await createInvitation(apiKey);
    const now = Date.now();
    // The write alone, as if the Worker died right after it: no dispatch.
    expect(await transition(db(), { id: invitation.id }, { event: "cancel" }, now)).not.toBeNull();
    const [event] = await eventsOf(invitation.id);
    if (!event) throw new Error("no event");
    expect(await outboxRow(event.id)).toEqual({
      delivery_state: "pending",
      delivery_attempts: 0,
      lease_until: null,
    });
    await sleep(1000);
    expect(await receiver.requests()).toEqual([]);

    await runCron(now + 1000);
    const [request] = await receiver.waitForExactly(1);
    expect(request && eventOf(request).id).toBe(event.id);
  });

  it("an event claimed but never sent is re-queued by the cron once its lease lapses, and only then", async () => {
    const { apiKey, receiver } = await withWebhook();
    const invitation = await createInvitation(apiKey);
    const now = Date.now();
    expect(await transition(db(), { id: invitation.id }, { event: "cancel" }, now)).not.toBeNull();
    const [event] = await eventsOf(invitation.id);
    if (!event) throw new Error("no event");
    // Claimed, then the Worker dies before queue.sendBatch.
    expect(await claimOutboxEvents(db(), now, invitationEvents)).toContain(event.id);
    expect(await outboxRow(event.id)).toMatchObject({
      delivery_state: "queued",
      lease_until: now + OUTBOX_LEASE_MS,
    });

    await runCron(now + OUTBOX_LEASE_MS - 1000); // lease still running: maybe it is in the queue
    await sleep(1000);
    expect(await receiver.requests()).toEqual([]);

    await runCron(now + OUTBOX_LEASE_MS);
    const [request] = await receiver.waitForExactly(1, { settleMs: 1000 });
    expect(request && eventOf(request).id).toBe(event.id);
    expect((await outboxRow(event.id)).delivery_state).toBe("delivered");
  });
});
