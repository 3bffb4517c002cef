import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { purgeOldRecords } from "../../src/db/retention";
import { metaWebhookInbox } from "../../src/db/schema";
import { metaSignatureHeader } from "../../src/meta-webhooks/signature";
import { testKeyFor } from "../onboarding/support";
import { call, createProject, expectError, postJson } from "../support/api";
import { runCron, signedWith } from "../webhooks/support/oracle";
import { eventOf, Receiver } from "../webhooks/support/webhooks";
import * as fixture from "./fixtures";
import {
  APP_SECRET,
  deliver,
  eventsOfSender,
  freshAccount,
  inboxOf,
  metaApp,
  seedSender,
  senderRow,
  VERIFY_TOKEN,
  waitProcessed,
} from "./support";

// Meta's webhooks (POST /meta/webhooks) with Meta's documented payloads (./fixtures.ts): the
// signature decides whether anything happens; accepted changes go through the inbox and the
// real queue consumer, and move every sender of the WABA or number, in every project and mode.

const app = metaApp();

describe("GET /meta/webhooks: the subscription handshake", () => {
  const verify = (query: string, bindings?: Partial<Env>) =>
    (bindings ? metaApp(bindings) : app)(`/meta/webhooks?${query}`);

  it("answers hub.challenge, as is, to the right verify token", async () => {
    const res = await verify(
      `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(VERIFY_TOKEN)}&hub.challenge=1158201444`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("1158201444");
  });

  it("refuses (403, no challenge) a wrong token, another mode, a missing token, and a Worker without one", async () => {
    const cases = [
      verify("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=42"),
      verify(`hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`),
      verify("hub.mode=subscribe&hub.challenge=42"),
      verify(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}x&hub.challenge=42`),
      verify("hub.mode=subscribe&hub.verify_token=&hub.challenge=42", { META_WEBHOOK_VERIFY_TOKEN: "" }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain("42");
    }
  });
});

describe("POST /meta/webhooks: only Meta's signature is accepted", () => {
  it("a missing, wrong, malformed or other-bytes signature is a 401 that changes nothing", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const payload = fixture.partnerRemoved(account.wabaId);
    const body = JSON.stringify(payload);
    const attempts = [
      await deliver(app, payload, { signature: null }),
      await deliver(app, payload, { secret: "another-secret" }),
      await deliver(app, payload, { signature: "sha256=zz" }),
      await deliver(app, payload, {
        signature: (await metaSignatureHeader(APP_SECRET, body)).replace("sha256=", "sha1="),
      }),
      // Signed over the same JSON with other whitespace: the raw bytes are what is signed.
      await deliver(app, payload, {
        signature: await metaSignatureHeader(APP_SECRET, JSON.stringify(payload, null, 1)),
      }),
      // A Worker without META_APP_SECRET verifies nothing.
      await deliver(metaApp({ META_APP_SECRET: "" }), payload),
    ];
    for (const res of attempts) await expectError(res, 401, "unauthorized");
    expect(await inboxOf(account.wabaId)).toEqual([]);
    expect((await senderRow(sender.id)).status).toBe("active");
    expect(await eventsOfSender(sender.id)).toEqual([]);
  });

  it("a signed body that is not Meta's shape is a 400; nothing stored", async () => {
    const res = await deliver(app, { hello: "world" });
    await expectError(res, 400, "invalid_request");
  });
});

describe("account_update", () => {
  it("PARTNER_REMOVED disconnects every sender of the WABA (projects and modes), one event each; repeats add nothing", async () => {
    const a = await createProject();
    const b = await createProject();
    const account = freshAccount();
    const other = freshAccount();
    const aLive = await seedSender(a.projectId, "live", account);
    const aTest = await seedSender(a.projectId, "test", account);
    const bLive = await seedSender(b.projectId, "live", account);
    const elsewhere = await seedSender(a.projectId, "live", other);

    const payload = fixture.partnerRemoved(account.wabaId);
    const res = await deliver(app, payload);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1 });
    const [stored] = await waitProcessed(account.wabaId, 1);
    expect(stored?.field).toBe("account_update");
    expect(stored?.outcome).toBe("applied");

    for (const id of [aLive.id, aTest.id, bLive.id]) {
      const row = await senderRow(id);
      expect([row.status, row.statusReason, row.statusChangedAt]).toEqual([
        "disconnected",
        "PARTNER_REMOVED",
        1_765_000_000_000,
      ]);
      const events = await eventsOfSender(id);
      expect(events.map((e) => [e.previousStatus, e.currentStatus, e.reason, e.createdAt])).toEqual([
        ["active", "disconnected", "PARTNER_REMOVED", 1_765_000_000_000],
      ]);
    }
    expect((await senderRow(elsewhere.id)).status).toBe("active");

    // Meta's retry of the same delivery: stored once, applied once.
    expect((await deliver(app, payload)).status).toBe(200);
    // The same event again in a new delivery (another time): applied, status unchanged, no event.
    expect(
      (
        await deliver(
          app,
          fixture.delivery(
            account.wabaId,
            "account_update",
            {
              event: "PARTNER_REMOVED",
              waba_info: { waba_id: account.wabaId, owner_business_id: "100000000000021" },
            },
            1_765_000_100,
          ),
        )
      ).status,
    ).toBe(200);
    await waitProcessed(account.wabaId, 2);
    for (const id of [aLive.id, aTest.id, bLive.id]) expect(await eventsOfSender(id)).toHaveLength(1);
  });

  it("the API shows the new status; another project's key never sees the sender", async () => {
    const project = await createProject();
    const testKey = await testKeyFor(project.projectId);
    const account = freshAccount();
    const live = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await waitProcessed(account.wabaId, 1);
    const res = await call(`/v1/senders/${live.id}`, { apiKey: project.apiKey });
    const body = (await res.json()) as Record<string, unknown>;
    expect([body.status, body.statusChangedAt]).toEqual([
      "disconnected",
      new Date(1_765_000_000_000).toISOString(),
    ]);
    await expectError(await call(`/v1/senders/${live.id}`, { apiKey: testKey }), 404, "not_found");
  });

  it("ACCOUNT_RESTRICTION restricts the named number only", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sibling = { ...freshAccount(), wabaId: account.wabaId };
    const restricted = await seedSender(project.projectId, "live", account);
    const untouched = await seedSender(project.projectId, "live", sibling);
    await deliver(app, fixture.accountRestriction(account.wabaId, account.phoneDigits));
    await waitProcessed(account.wabaId, 1);
    expect([(await senderRow(restricted.id)).status, (await senderRow(restricted.id)).statusReason]).toEqual([
      "restricted",
      "ACCOUNT_RESTRICTION",
    ]);
    expect((await senderRow(untouched.id)).status).toBe("active");
  });

  it("DISABLED_UPDATE: scheduled restricts, disabled disconnects, reinstated is active again; one event per change", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const steps = ["SCHEDULE_FOR_DISABLE", "DISABLE", "REINSTATE"] as const;
    for (const [i, state] of steps.entries()) {
      await deliver(app, fixture.disabledUpdate(account.wabaId, state, 1_765_000_000 + i));
      await waitProcessed(account.wabaId, i + 1);
    }
    expect(
      (await eventsOfSender(sender.id)).map((e) => [e.previousStatus, e.currentStatus, e.reason]),
    ).toEqual([
      ["active", "restricted", "DISABLED_UPDATE:SCHEDULE_FOR_DISABLE"],
      ["restricted", "disconnected", "DISABLED_UPDATE:DISABLE"],
      ["disconnected", "active", "DISABLED_UPDATE:REINSTATE"],
    ]);
  });

  it("REINSTATE does not bring back a sender the client removed; PARTNER_ADDED changes no status", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await deliver(app, fixture.disabledUpdate(account.wabaId, "REINSTATE", 1_765_000_500));
    await deliver(app, fixture.partnerAdded(account.wabaId));
    const rows = await waitProcessed(account.wabaId, 3);
    expect(rows.map((r) => r.outcome)).toEqual(["applied", "applied", "applied"]);
    expect((await senderRow(sender.id)).status).toBe("disconnected");
    expect(await eventsOfSender(sender.id)).toHaveLength(1);
  });
});

describe("repeats and lost messages", () => {
  it("the same delivery twice at once: one stored change, one status change, one event", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const payload = fixture.partnerRemoved(account.wabaId);
    const results = await Promise.all([deliver(app, payload), deliver(app, payload), deliver(app, payload)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await waitProcessed(account.wabaId, 1);
    expect((await eventsOfSender(sender.id)).map((e) => e.currentStatus)).toEqual(["disconnected"]);
  });

  it("a stored change whose queue message was lost is applied after the cron queues it again", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const received = Date.now();
    // Stored as POST /meta/webhooks stores it, its message never sent.
    await createDb(env.DB)
      .insert(metaWebhookInbox)
      .values({
        id: `mwh_lost_${account.wabaId}`,
        object: "whatsapp_business_account",
        entryId: account.wabaId,
        field: "account_update",
        value: JSON.stringify({ event: "PARTNER_REMOVED", waba_info: { waba_id: account.wabaId } }),
        entryTime: 1_765_000_000,
        receivedAt: received,
        leaseUntil: received + 5 * 60_000,
      });
    // Before the lease lapses the cron leaves it; after, it queues it and the consumer applies it.
    await runCron(received + 60_000);
    expect((await inboxOf(account.wabaId)).map((r) => r.leaseUntil)).toEqual([received + 5 * 60_000]);
    expect((await senderRow(sender.id)).status).toBe("active");
    await runCron(received + 5 * 60_000);
    const [row] = await waitProcessed(account.wabaId, 1);
    expect(row?.outcome).toBe("applied");
    expect((await senderRow(sender.id)).status).toBe("disconnected");
  });
});

describe("phone_number_quality_update and phone_number_name_update", () => {
  it("set the quality rating, the messaging limit tier and the name decision the API shows; no status event", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.qualityUpdate(account.wabaId, account.phoneDigits, "FLAGGED", "TIER_1K"));
    await waitProcessed(account.wabaId, 1);
    await deliver(app, fixture.nameUpdate(account.wabaId, account.phoneDigits, "APPROVED", "Acme Bakery"));
    await waitProcessed(account.wabaId, 2);
    const res = await call(`/v1/senders/${sender.id}`, { apiKey: project.apiKey });
    const body = (await res.json()) as { name: string; status: string; whatsapp: Record<string, unknown> };
    expect([body.name, body.status]).toEqual(["Acme Bakery", "active"]);
    expect(body.whatsapp).toEqual({
      displayPhoneNumber: account.phone,
      phoneNumberId: account.phoneNumberId,
      qualityRating: "RED",
      messagingLimitTier: "TIER_1K",
      nameStatus: "APPROVED",
    });
    await deliver(app, fixture.qualityUpdate(account.wabaId, account.phoneDigits, "UNFLAGGED", "TIER_10K"));
    await deliver(app, fixture.nameUpdate(account.wabaId, account.phoneDigits, "REJECTED", "Acme!!!"));
    await waitProcessed(account.wabaId, 4);
    const row = await senderRow(sender.id);
    expect([row.qualityRating, row.messagingLimitTier, row.nameStatus, row.name]).toEqual([
      "GREEN",
      "TIER_10K",
      "REJECTED",
      "Acme Bakery",
    ]);
    expect(await eventsOfSender(sender.id)).toEqual([]);
  });
});

describe("coexistence syncs: smb_app_state_sync and history", () => {
  it("history chunks move a requested sync to syncing then completed; contacts to completed; no message text is kept", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account, {
      historySyncStatus: "pending",
      historySyncRequestedAt: 1_000,
      contactsSyncStatus: "pending",
      contactsSyncRequestedAt: 1_000,
    });
    await deliver(
      app,
      fixture.historyChunk(account.wabaId, account.phoneNumberId, account.phoneDigits, 0, 40),
    );
    await waitProcessed(account.wabaId, 1);
    expect((await senderRow(sender.id)).historySyncStatus).toBe("syncing");
    await deliver(app, fixture.stateSync(account.wabaId, account.phoneNumberId, account.phoneDigits));
    await deliver(
      app,
      fixture.historyChunk(account.wabaId, account.phoneNumberId, account.phoneDigits, 2, 100),
    );
    const rows = await waitProcessed(account.wabaId, 3);
    const row = await senderRow(sender.id);
    expect([row.historySyncStatus, row.historySyncCompletedAt, row.contactsSyncStatus]).toEqual([
      "completed",
      1_765_000_000_000,
      "completed",
    ]);
    for (const stored of rows) {
      expect(stored.value).not.toContain("Hello from the app");
      expect(stored.value).not.toContain("Pablo");
    }
  });

  it("a business that declines to share its history (2593109): rejected", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account, { historySyncStatus: "pending" });
    await deliver(app, fixture.historyDeclined(account.wabaId, account.phoneNumberId, account.phoneDigits));
    await waitProcessed(account.wabaId, 1);
    expect((await senderRow(sender.id)).historySyncStatus).toBe("rejected");
  });
});

describe("other fields", () => {
  it("are stored (ignored), purged after the retention period once processed", async () => {
    const project = await createProject();
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    const before = await senderRow(sender.id);
    await deliver(app, fixture.inboundMessage(account.wabaId, account.phoneNumberId));
    const [row] = await waitProcessed(account.wabaId, 1);
    expect([row?.field, row?.outcome]).toEqual(["messages", "ignored"]);
    expect(JSON.parse(row?.value ?? "{}").messages[0].text.body).toBe("hi");
    expect(await senderRow(sender.id)).toEqual(before);

    const db = createDb(env.DB);
    const received = row?.receivedAt ?? 0;
    // 30 days later it stays; a moment past it, it is gone.
    await purgeOldRecords(db, received + 30 * 86_400_000, 30);
    expect(await inboxOf(account.wabaId)).toHaveLength(1);
    const purged = await purgeOldRecords(db, received + 30 * 86_400_000 + 1, 30);
    expect(purged.metaWebhookChanges).toBeGreaterThanOrEqual(1);
    expect(await inboxOf(account.wabaId)).toEqual([]);
  });

  it("an unprocessed change is kept by the purge whatever its age", async () => {
    const db = createDb(env.DB);
    const id = `mwh_unprocessed_${Date.now()}`;
    await db.insert(metaWebhookInbox).values({
      id,
      object: "whatsapp_business_account",
      entryId: "x",
      field: "account_update",
      value: "{}",
      receivedAt: 1,
      leaseUntil: 2,
    });
    await purgeOldRecords(db, Date.now(), 30);
    expect(await db.select().from(metaWebhookInbox).where(eq(metaWebhookInbox.id, id))).toHaveLength(1);
    await db.delete(metaWebhookInbox).where(eq(metaWebhookInbox.id, id));
  });
});

describe("sender.status_changed reaches the partner", () => {
  async function subscribe(apiKey: string, events: string[]) {
    const receiver = new Receiver();
    const res = await postJson("/v1/invitations/webhook", apiKey, { url: receiver.url, events });
    expect([200, 201]).toContain(res.status);
    const { webhook } = (await res.json()) as { webhook: { secret: string } };
    return { receiver, secret: webhook.secret };
  }

  it("exactly one signed event per change, to the webhook of the sender's own mode, logged as a delivery", async () => {
    const project = await createProject();
    const testKey = await testKeyFor(project.projectId);
    const live = await subscribe(project.apiKey, ["invitation.status_changed", "sender.status_changed"]);
    const test = await subscribe(testKey, ["sender.status_changed"]);
    const account = freshAccount();
    const liveSender = await seedSender(project.projectId, "live", account);
    const testSender = await seedSender(project.projectId, "test", account);

    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    const [liveRequest] = await live.receiver.waitForExactly(1);
    const [testRequest] = await test.receiver.waitForExactly(1);
    if (!liveRequest || !testRequest) throw new Error("no delivery");
    expect(await signedWith(liveRequest, live.secret)).toBe(true);
    expect(await signedWith(testRequest, test.secret)).toBe(true);
    const [liveEvent] = await eventsOfSender(liveSender.id);
    expect(eventOf(liveRequest)).toEqual({
      id: liveEvent?.id,
      type: "sender.status_changed",
      timestamp: 1_765_000_000_000,
      projectId: project.projectId,
      data: {
        senderId: liveSender.id,
        channel: "whatsapp",
        previousStatus: "active",
        currentStatus: "disconnected",
        reason: "PARTNER_REMOVED",
      },
    });
    expect(eventOf(testRequest).data.senderId).toBe(testSender.id);

    const deliveries = await call("/v1/invitations/webhook/deliveries", { apiKey: project.apiKey });
    const { items } = (await deliveries.json()) as {
      items: { eventId: string; invitationId: string; outcome: string }[];
    };
    expect(items.map((d) => [d.eventId, d.invitationId, d.outcome])).toEqual([
      [liveEvent?.id, liveSender.invitationId, "delivered"],
    ]);
  }, 30_000);

  it("a webhook that did not list the type gets nothing (the event is recorded, not queued)", async () => {
    const project = await createProject();
    const only = await subscribe(project.apiKey, ["invitation.status_changed"]);
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await waitProcessed(account.wabaId, 1);
    const [event] = await eventsOfSender(sender.id);
    expect([event?.currentStatus, event?.deliveryState]).toEqual(["disconnected", null]);
    await only.receiver.waitForExactly(0);
  });

  it("a sender event is resent like an invitation event: same id, signed afresh, a second delivery logged", async () => {
    const project = await createProject();
    const hook = await subscribe(project.apiKey, ["sender.status_changed"]);
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await hook.receiver.waitForExactly(1, { settleMs: 0 });
    const [event] = await eventsOfSender(sender.id);
    if (!event) throw new Error("no sender event");

    const res = await call(`/v1/invitations/webhook/events/${event.id}/resend`, {
      method: "POST",
      apiKey: project.apiKey,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId: event.id, status: "queued" });
    const [first, second] = await hook.receiver.waitForExactly(2);
    if (!first || !second) throw new Error("no second delivery");
    expect(eventOf(second)).toEqual(eventOf(first));
    expect(await signedWith(second, hook.secret)).toBe(true);
    const deliveries = await call("/v1/invitations/webhook/deliveries", { apiKey: project.apiKey });
    const { items } = (await deliveries.json()) as { items: { eventId: string; outcome: string }[] };
    expect(items.map((d) => [d.eventId, d.outcome])).toEqual([
      [event.id, "delivered"],
      [event.id, "delivered"],
    ]);
  }, 30_000);

  it("a sender event's resend: another project's or mode's id is a 404, a webhook not listing the type a 400; neither queues", async () => {
    const project = await createProject();
    const other = await createProject();
    const testKey = await testKeyFor(project.projectId);
    const only = await subscribe(project.apiKey, ["invitation.status_changed"]);
    const elsewhere = await subscribe(other.apiKey, ["sender.status_changed"]);
    const testHook = await subscribe(testKey, ["sender.status_changed"]);
    const account = freshAccount();
    const sender = await seedSender(project.projectId, "live", account);
    await deliver(app, fixture.partnerRemoved(account.wabaId));
    await waitProcessed(account.wabaId, 1);
    const [event] = await eventsOfSender(sender.id);
    if (!event) throw new Error("no sender event");
    const resend = (apiKey: string) =>
      call(`/v1/invitations/webhook/events/${event.id}/resend`, { method: "POST", apiKey });

    const refused = await expectError(await resend(project.apiKey), 400, "invalid_state");
    expect(refused.message).toBe(
      "The webhook does not list sender.status_changed in its events; add it to receive this event",
    );
    await expectError(await resend(other.apiKey), 404, "not_found");
    await expectError(await resend(testKey), 404, "not_found");
    expect((await eventsOfSender(sender.id))[0]?.deliveryState).toBeNull();
    await Promise.all([only, elsewhere, testHook].map((hook) => hook.receiver.waitForExactly(0)));
  });

  it("a new webhook without `events` is subscribed to invitation events only (opt-in)", async () => {
    const project = await createProject();
    const res = await postJson("/v1/invitations/webhook", project.apiKey, { url: new Receiver().url });
    const { webhook } = (await res.json()) as { webhook: { events: string[] } };
    expect(webhook.events).toEqual(["invitation.status_changed"]);
    const bad = await postJson("/v1/invitations/webhook", project.apiKey, {
      url: new Receiver().url,
      events: ["sender.deleted"],
    });
    await expectError(bad, 400, "invalid_request");
  });
});
