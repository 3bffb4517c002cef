import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { apiKeys } from "../../src/db/schema";
import { decryptSecret } from "../../src/lib/crypto";
import { newApiKey } from "../../src/projects/provisioning";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { eventsOf } from "../support/db";
import { signedWith } from "./support/oracle";
import {
  configureWebhook,
  eventOf,
  nth,
  outboxRow,
  patchWebhook,
  Receiver,
  waitFor,
} from "./support/webhooks";

// Test and live apart, on the webhook side: a project has one webhook per mode, each with its
// own URL and secret; a key reaches only its own mode's webhook, deliveries and events; events
// of a test key's invitations go to the test webhook only. Tests run without a Meta app, so a
// live key's invitations run against the fake of Meta: they are live rows all the same.

const WEBHOOK = "/v1/invitations/webhook";
const URL_LIVE = "https://live.partner.example.com/hooks";
const URL_TEST = "https://test.partner.example.com/hooks";
const EVENTS = ["invitation.status_changed"];

/** A project with a live key and a test key (zv_test_…). */
async function projectWithBothKeys() {
  const project = await createProject();
  const key = await newApiKey(project.projectId, Date.now(), "test", "test");
  await createDb(env.DB).insert(apiKeys).values(key.row);
  expect(key.apiKey).toMatch(/^zv_test_/);
  return { projectId: project.projectId, live: project.apiKey, test: key.apiKey };
}

type Json = Record<string, unknown>;
async function getWebhook(apiKey: string) {
  const res = await call(WEBHOOK, { apiKey });
  expect(res.status).toBe(200);
  return ((await res.json()) as { webhook: Json | null }).webhook;
}

/** The stored webhook rows of a project, by mode, with their secrets decrypted. */
async function storedWebhooks(projectId: string) {
  const { results } = await env.DB.prepare(
    "SELECT mode, url, active, secret_ciphertext, updated_at FROM webhooks WHERE project_id = ? ORDER BY mode",
  )
    .bind(projectId)
    .all<{ mode: string; url: string; active: number; secret_ciphertext: string; updated_at: number }>();
  const byMode: Record<string, { url: string; active: number; secret: string; updatedAt: number }> = {};
  for (const row of results) {
    byMode[row.mode] = {
      url: row.url,
      active: row.active,
      secret: await decryptSecret(env.ENCRYPTION_KEYS, row.secret_ciphertext, "webhooks.secret_ciphertext"),
      updatedAt: row.updated_at,
    };
  }
  return byMode;
}

const cancel = (apiKey: string, id: string) => postJson(`/v1/invitations/${id}/cancel`, apiKey, {});

describe("one webhook per mode", () => {
  it("live and test webhooks coexist, each with its own URL and secret; each key reads its own", async () => {
    const { projectId, live, test } = await projectWithBothKeys();
    const liveHook = await configureWebhook(live, URL_LIVE);
    const created = await postJson(WEBHOOK, test, { url: URL_TEST, events: EVENTS });
    // Created (201), not the live webhook replaced (200).
    expect(created.status).toBe(201);
    const testHook = ((await created.json()) as { webhook: { secret: string } & Json }).webhook;
    expect(testHook.url).toBe(URL_TEST);
    expect(testHook.secret).toMatch(/^whsec_/);
    expect(testHook.secret).not.toBe(liveHook.secret);

    const view = { events: EVENTS, active: true, signatureVersion: "v2" };
    expect(await getWebhook(live)).toEqual({ url: URL_LIVE, ...view });
    expect(await getWebhook(test)).toEqual({ url: URL_TEST, ...view });
    const stored = await storedWebhooks(projectId);
    expect(Object.keys(stored)).toEqual(["live", "test"]);
    expect(stored.live).toMatchObject({ url: URL_LIVE, secret: liveHook.secret });
    expect(stored.test).toMatchObject({ url: URL_TEST, secret: testHook.secret });
  });

  it("a test key never reads or changes the live webhook: GET null, PATCH and rotate 404, DELETE leaves it", async () => {
    const { projectId, live, test } = await projectWithBothKeys();
    const liveHook = await configureWebhook(live, URL_LIVE);
    const before = await storedWebhooks(projectId);

    expect(await getWebhook(test)).toBeNull();
    await expectError(await patchWebhook(test, { url: URL_TEST, active: false }), 404, "not_found");
    await expectError(await call(`${WEBHOOK}/secret`, { method: "POST", apiKey: test }), 404, "not_found");
    const deleted = await call(WEBHOOK, { method: "DELETE", apiKey: test });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ webhook: null });

    expect(await storedWebhooks(projectId)).toEqual(before);
    expect(before.live?.secret).toBe(liveHook.secret);
    expect(await getWebhook(live)).toEqual({
      url: URL_LIVE,
      events: EVENTS,
      active: true,
      signatureVersion: "v2",
    });
  });

  it("PATCH, rotate and DELETE with the test key touch the test webhook only", async () => {
    const { projectId, live, test } = await projectWithBothKeys();
    const liveHook = await configureWebhook(live, URL_LIVE);
    const testHook = await configureWebhook(test, URL_TEST);
    const liveBefore = (await storedWebhooks(projectId)).live;

    const patched = await patchWebhook(test, {
      url: `${URL_TEST}/v2`,
      active: false,
      signatureVersion: "v1+v2",
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toEqual({
      webhook: { url: `${URL_TEST}/v2`, events: EVENTS, active: false, signatureVersion: "v1+v2" },
    });
    const rotated = await call(`${WEBHOOK}/secret`, { method: "POST", apiKey: test });
    expect(rotated.status).toBe(200);
    const newTestSecret = ((await rotated.json()) as { webhook: { secret: string } }).webhook.secret;
    expect(newTestSecret).not.toBe(testHook.secret);

    let stored = await storedWebhooks(projectId);
    expect(stored.live).toEqual(liveBefore);
    expect(stored.live?.secret).toBe(liveHook.secret);
    expect(stored.test).toMatchObject({ url: `${URL_TEST}/v2`, active: 0, secret: newTestSecret });

    // And the live key's changes leave the test webhook alone.
    expect((await patchWebhook(live, { active: false })).status).toBe(200);
    expect((await storedWebhooks(projectId)).test).toEqual(stored.test);

    expect((await call(WEBHOOK, { method: "DELETE", apiKey: test })).status).toBe(200);
    stored = await storedWebhooks(projectId);
    expect(Object.keys(stored)).toEqual(["live"]);
    expect(stored.live?.secret).toBe(liveHook.secret);
    expect(await getWebhook(test)).toBeNull();
  });
});

describe("deliveries per mode", () => {
  it("a test invitation's change goes to the test URL only, signed with the test secret; a live one's to the live URL only", async () => {
    const { live, test } = await projectWithBothKeys();
    const liveReceiver = new Receiver();
    const testReceiver = new Receiver();
    const liveHook = await configureWebhook(live, liveReceiver.url);
    const testHook = await configureWebhook(test, testReceiver.url);

    const testInvitation = await createInvitation(test);
    expect((await cancel(test, testInvitation.id)).status).toBe(200);
    const toTest = nth(await testReceiver.waitForExactly(1), 0);
    expect(eventOf(toTest).data.invitationId).toBe(testInvitation.id);
    expect(await signedWith(toTest, testHook.secret)).toBe(true);
    expect(await signedWith(toTest, liveHook.secret)).toBe(false);

    // A live key's invitation: the fake of Meta (no Meta app here), a live row all the same.
    const liveInvitation = await createInvitation(live);
    expect((await cancel(live, liveInvitation.id)).status).toBe(200);
    const toLive = nth(await liveReceiver.waitForExactly(1), 0);
    expect(eventOf(toLive).data.invitationId).toBe(liveInvitation.id);
    expect(await signedWith(toLive, liveHook.secret)).toBe(true);
    expect(await signedWith(toLive, testHook.secret)).toBe(false);
    // Nothing crossed over.
    expect(await testReceiver.waitForExactly(1)).toHaveLength(1);
    expect(await liveReceiver.waitForExactly(1)).toHaveLength(1);
  });

  it("a test invitation's change is not sent to the live webhook when the test mode has none (and vice versa)", async () => {
    const { live, test } = await projectWithBothKeys();
    const liveReceiver = new Receiver();
    await configureWebhook(live, liveReceiver.url);
    const testInvitation = await createInvitation(test);
    expect((await cancel(test, testInvitation.id)).status).toBe(200);
    const [event] = await eventsOf(testInvitation.id);
    expect((event as unknown as { mode: string } | undefined)?.mode).toBe("test");
    expect((await outboxRow(String(event?.id))).delivery_state).toBeNull();

    const other = await projectWithBothKeys();
    const testReceiver = new Receiver();
    await configureWebhook(other.test, testReceiver.url);
    const liveInvitation = await createInvitation(other.live);
    expect((await cancel(other.live, liveInvitation.id)).status).toBe(200);
    const [liveEvent] = await eventsOf(liveInvitation.id);
    expect((await outboxRow(String(liveEvent?.id))).delivery_state).toBeNull();

    await liveReceiver.waitForExactly(0);
    await testReceiver.waitForExactly(0);
  });

  it("deliveries list and resend are per mode: another mode's event id is a 404 and is not queued", async () => {
    const { projectId, live, test } = await projectWithBothKeys();
    const liveReceiver = new Receiver();
    const testReceiver = new Receiver();
    await configureWebhook(live, liveReceiver.url);
    await configureWebhook(test, testReceiver.url);
    const liveInvitation = await createInvitation(live);
    const testInvitation = await createInvitation(test);
    expect((await cancel(live, liveInvitation.id)).status).toBe(200);
    expect((await cancel(test, testInvitation.id)).status).toBe(200);
    await liveReceiver.waitForExactly(1);
    await testReceiver.waitForExactly(1);
    const liveEventId = String((await eventsOf(liveInvitation.id))[0]?.id);
    const testEventId = String((await eventsOf(testInvitation.id))[0]?.id);

    const list = async (apiKey: string) => {
      const res = await call(`${WEBHOOK}/deliveries`, { apiKey });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { eventId: string; outcome: string }[] }).items;
    };
    // The attempt rows are written right after the POST is answered.
    await waitFor("both attempts recorded", async () => ((await list(live)).length === 1 ? true : undefined));
    await waitFor("both attempts recorded", async () => ((await list(test)).length === 1 ? true : undefined));
    expect((await list(live)).map((d) => [d.eventId, d.outcome])).toEqual([[liveEventId, "delivered"]]);
    expect((await list(test)).map((d) => [d.eventId, d.outcome])).toEqual([[testEventId, "delivered"]]);
    const { results } = await env.DB.prepare(
      "SELECT event_id, mode FROM webhook_deliveries WHERE project_id = ? ORDER BY mode",
    )
      .bind(projectId)
      .all<{ event_id: string; mode: string }>();
    expect(results).toEqual([
      { event_id: liveEventId, mode: "live" },
      { event_id: testEventId, mode: "test" },
    ]);

    const resend = (apiKey: string, eventId: string) =>
      call(`${WEBHOOK}/events/${eventId}/resend`, { method: "POST", apiKey });
    await expectError(await resend(test, liveEventId), 404, "not_found");
    await expectError(await resend(live, testEventId), 404, "not_found");
    expect((await outboxRow(liveEventId)).delivery_state).toBe("delivered");
    expect((await outboxRow(testEventId)).delivery_state).toBe("delivered");

    const own = await resend(test, testEventId);
    expect(own.status).toBe(202);
    expect(await own.json()).toEqual({ eventId: testEventId, status: "queued" });
    expect((await testReceiver.waitForExactly(2)).map((r) => eventOf(r).id)).toEqual([
      testEventId,
      testEventId,
    ]);
    await liveReceiver.waitForExactly(1);
  });
});
