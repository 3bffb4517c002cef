import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decryptSecret } from "../../src/lib/crypto";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { eventsOf } from "../support/db";
import { signedWith } from "./support/oracle";
import { configureWebhook, eventOf, nth, outboxRow, patchWebhook, Receiver } from "./support/webhooks";

// The five configuration routes, per project. URLs here are public names that are never
// called: these tests change no invitation status while such a webhook is active.

const URL_A = "https://partner.example.com/zavu/webhooks";
const URL_B = "https://hooks.partner.example.com/v2";
const EVENTS = ["invitation.status_changed"];

type Json = Record<string, unknown>;
const getWebhook = async (apiKey: string) => {
  const res = await call("/v1/invitations/webhook", { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as { webhook: Json | null };
};
const rotate = (apiKey: string) => call("/v1/invitations/webhook/secret", { method: "POST", apiKey });
const storedRow = (projectId: string) =>
  env.DB.prepare("SELECT * FROM webhooks WHERE project_id = ?")
    .bind(projectId)
    .first<Record<string, unknown>>();

describe("without a webhook", () => {
  it("GET is { webhook: null } (not read as an invitation id); PATCH, rotate are 404; DELETE is { webhook: null }", async () => {
    const { apiKey } = await createProject();
    expect(await getWebhook(apiKey)).toEqual({ webhook: null });
    await expectError(await patchWebhook(apiKey, { active: false }), 404, "not_found");
    await expectError(await rotate(apiKey), 404, "not_found");
    const del = await call("/v1/invitations/webhook", { method: "DELETE", apiKey });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ webhook: null });
    await expectError(
      await call("/v1/invitations/webhook/events/evt_00000000000000000000000000000000/resend", {
        method: "POST",
        apiKey,
      }),
      404,
      "not_found",
    );
  });

  it("requires the API key and answers 405 for other methods", async () => {
    await expectError(await call("/v1/invitations/webhook"), 401, "unauthorized");
    const { apiKey } = await createProject();
    await expectError(
      await call("/v1/invitations/webhook", { method: "PUT", apiKey }),
      405,
      "method_not_allowed",
    );
  });
});

describe("create, read, replace, update, rotate, delete", () => {
  it("POST creates (201) with a whsec_ secret; GET shows it without the secret; the secret is sealed at rest", async () => {
    const { apiKey, projectId } = await createProject();
    const res = await postJson("/v1/invitations/webhook", apiKey, { url: URL_A, events: EVENTS });
    expect(res.status).toBe(201);
    const { webhook } = (await res.json()) as { webhook: { secret: string } & Json };
    expect(webhook).toEqual({
      url: URL_A,
      events: EVENTS,
      active: true,
      signatureVersion: "v2",
      secret: expect.any(String),
    });
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(await getWebhook(apiKey)).toEqual({
      webhook: { url: URL_A, events: EVENTS, active: true, signatureVersion: "v2" },
    });

    const row = await storedRow(projectId);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(webhook.secret);
    expect(stored).not.toContain(webhook.secret.slice("whsec_".length));
    expect(
      await decryptSecret(env.ENCRYPTION_KEYS, String(row?.secret_ciphertext), "webhooks.secret_ciphertext"),
    ).toBe(webhook.secret);
  });

  it("events defaults to invitation events (newer types are opt-in); unknown, repeated or no events, a missing url, unknown fields are 400s that change nothing", async () => {
    const { apiKey, projectId } = await createProject();
    const created = await postJson("/v1/invitations/webhook", apiKey, { url: URL_A });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { webhook: Json }).webhook.events).toEqual(EVENTS);
    const before = await storedRow(projectId);

    const cases: [unknown, Record<string, string>][] = [
      [
        { url: URL_B, events: ["invitation.created"] },
        { "events.0": "Must be one of: invitation.status_changed, sender.status_changed" },
      ],
      [{ url: URL_B, events: [] }, { events: "List at least one event" }],
      [{ url: URL_B, events: [...EVENTS, ...EVENTS] }, { events: "Must not repeat an event" }],
      [{ url: URL_B, events: "invitation.status_changed" }, { events: expect.any(String) }],
      [{ events: EVENTS }, { url: expect.any(String) }],
      [{ url: "", events: EVENTS }, { url: "Must not be empty" }],
      [{ url: URL_B, events: EVENTS, secret: "whsec_mine" }, { secret: "Unknown field" }],
      [
        { url: 42, events: ["nope"] },
        {
          url: expect.any(String),
          "events.0": "Must be one of: invitation.status_changed, sender.status_changed",
        },
      ],
    ];
    for (const [body, fields] of cases) {
      const error = await expectError(
        await postJson("/v1/invitations/webhook", apiKey, body),
        400,
        "invalid_request",
      );
      expect(error.details?.fields, JSON.stringify(body)).toEqual(fields);
    }
    const badPatches: [unknown, Record<string, string>][] = [
      [
        { events: ["invitation.created"] },
        { "events.0": "Must be one of: invitation.status_changed, sender.status_changed" },
      ],
      [{ events: [] }, { events: "List at least one event" }],
      [{ url: "" }, { url: "Must not be empty" }],
      [{ active: "no" }, { active: expect.any(String) }],
      [{ active: true, secret: "whsec_mine" }, { secret: "Unknown field" }],
    ];
    for (const [body, fields] of badPatches) {
      const error = await expectError(await patchWebhook(apiKey, body), 400, "invalid_request");
      expect(error.details?.fields, JSON.stringify(body)).toEqual(fields);
    }
    expect(await storedRow(projectId)).toEqual(before);
  });

  it("POST again replaces URL and events, activates it, and keeps the secret", async () => {
    const { apiKey } = await createProject();
    const first = await configureWebhook(apiKey, URL_A);
    expect((await patchWebhook(apiKey, { active: false })).status).toBe(200);
    const res = await postJson("/v1/invitations/webhook", apiKey, { url: URL_B, events: EVENTS });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      webhook: { url: URL_B, events: EVENTS, active: true, signatureVersion: "v2", secret: first.secret },
    });
  });

  it("PATCH changes only what it is given and answers like GET", async () => {
    const { apiKey } = await createProject();
    await configureWebhook(apiKey, URL_A);
    const paused = await patchWebhook(apiKey, { active: false });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toEqual({
      webhook: { url: URL_A, events: EVENTS, active: false, signatureVersion: "v2" },
    });
    const moved = await patchWebhook(apiKey, { url: URL_B });
    expect(await moved.json()).toEqual({
      webhook: { url: URL_B, events: EVENTS, active: false, signatureVersion: "v2" },
    });
    const same = await patchWebhook(apiKey, {});
    expect(await same.json()).toEqual({
      webhook: { url: URL_B, events: EVENTS, active: false, signatureVersion: "v2" },
    });
    await expectError(await patchWebhook(apiKey, { url: "https://10.0.0.1/" }), 400, "invalid_request");
    expect(await getWebhook(apiKey)).toEqual({
      webhook: { url: URL_B, events: EVENTS, active: false, signatureVersion: "v2" },
    });
  });

  it("rotation returns a new secret once; deliveries are signed with it (and the old one in its overlap); replacing keeps it", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    const old = await configureWebhook(apiKey, receiver.url);
    const res = await rotate(apiKey);
    expect(res.status).toBe(200);
    const { webhook } = (await res.json()) as { webhook: { secret: string } & Json };
    expect(webhook).toEqual({
      url: receiver.url,
      events: EVENTS,
      active: true,
      signatureVersion: "v2",
      secret: expect.any(String),
    });
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(webhook.secret).not.toBe(old.secret);
    expect(await getWebhook(apiKey)).toEqual({
      webhook: { url: receiver.url, events: EVENTS, active: true, signatureVersion: "v2" },
    });

    const invitation = await createInvitation(apiKey);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
    const request = nth(await receiver.waitForExactly(1), 0);
    expect(await signedWith(request, webhook.secret)).toBe(true);
    // The replaced secret signs too while its overlap lasts (test/webhooks/signatures.test.ts).
    expect(await signedWith(request, old.secret)).toBe(true);
    expect(await signedWith(request, "whsec_someone-elses-secret-0000000000000000000")).toBe(false);
    expect((await configureWebhook(apiKey, receiver.url)).secret).toBe(webhook.secret);
  });

  it("DELETE removes it: GET is null, PATCH is 404, a new POST mints a new secret", async () => {
    const { apiKey, projectId } = await createProject();
    const first = await configureWebhook(apiKey, URL_A);
    const res = await call("/v1/invitations/webhook", { method: "DELETE", apiKey });
    expect(res.status).toBe(200);
    expect(await getWebhook(apiKey)).toEqual({ webhook: null });
    expect(await storedRow(projectId)).toBeNull();
    await expectError(await patchWebhook(apiKey, { active: true }), 404, "not_found");
    const again = await postJson("/v1/invitations/webhook", apiKey, { url: URL_A });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { webhook: { secret: string } }).webhook.secret).not.toBe(first.secret);
  });
});

describe("one project never sees another's webhook, deliveries or events", () => {
  it("B sees no webhook of A's, cannot change it, and A's event is a 404 for B", async () => {
    const a = await createProject();
    const b = await createProject();
    const receiver = new Receiver();
    await configureWebhook(a.apiKey, receiver.url);
    const invitation = await createInvitation(a.apiKey);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, a.apiKey, {})).status).toBe(200);
    const [event] = await eventsOf(invitation.id);
    if (!event) throw new Error("no event");
    await receiver.waitForExactly(1);

    expect(await getWebhook(b.apiKey)).toEqual({ webhook: null });
    await expectError(await patchWebhook(b.apiKey, { active: false }), 404, "not_found");
    await configureWebhook(b.apiKey, URL_B);
    const resend = await call(`/v1/invitations/webhook/events/${event.id}/resend`, {
      method: "POST",
      apiKey: b.apiKey,
    });
    const error = await expectError(resend, 404, "not_found");
    expect(JSON.stringify(error)).not.toContain(invitation.id);
    const deliveries = await call("/v1/invitations/webhook/deliveries", { apiKey: b.apiKey });
    expect(await deliveries.json()).toEqual({ items: [], nextCursor: null });
    expect((await getWebhook(a.apiKey)).webhook).toEqual({
      url: receiver.url,
      events: EVENTS,
      active: true,
      signatureVersion: "v2",
    });
    await receiver.waitForExactly(1);
  });

  /** A project whose webhook has received one event (a cancel's), and the resend of it. */
  async function deliveredOnce() {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    await configureWebhook(apiKey, receiver.url);
    const invitation = await createInvitation(apiKey);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
    await receiver.waitForExactly(1, { settleMs: 0 });
    const [event] = await eventsOf(invitation.id);
    if (!event) throw new Error("no event");
    const resend = () =>
      call(`/v1/invitations/webhook/events/${event.id}/resend`, { method: "POST", apiKey });
    return { apiKey, receiver, event, resend };
  }

  it("a resend while the webhook is paused is a 400 invalid_state and queues nothing", async () => {
    const { apiKey, receiver, resend } = await deliveredOnce();
    await patchWebhook(apiKey, { active: false });
    await expectError(await resend(), 400, "invalid_state");
    await receiver.waitForExactly(1, { settleMs: 1000 });
  });

  it("a resend to a webhook that no longer lists the event's type is a 400 naming it and queues nothing; listed again, it is sent", async () => {
    const { apiKey, receiver, event, resend } = await deliveredOnce();

    expect((await patchWebhook(apiKey, { events: ["sender.status_changed"] })).status).toBe(200);
    const refused = await expectError(await resend(), 400, "invalid_state");
    expect(refused.message).toBe(
      "The webhook does not list invitation.status_changed in its events; add it to receive this event",
    );
    expect((await outboxRow(event.id)).delivery_state).toBe("delivered");

    expect((await patchWebhook(apiKey, { events: EVENTS })).status).toBe(200);
    const res = await resend();
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId: event.id, status: "queued" });
    const deliveries = await receiver.waitForExactly(2);
    expect(deliveries.map((request) => eventOf(request).id)).toEqual([event.id, event.id]);
  });
});

describe("OpenAPI", () => {
  it("documents the seven webhook operations, each with its errors in the Error shape", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/v1/invitations/webhook"))
      .flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => [
          `${method.toUpperCase()} ${path}`,
          op.operationId,
          Object.keys(op.responses).sort(),
        ]),
      );
    expect(operations).toEqual([
      [
        "POST /v1/invitations/webhook",
        "createWebhook",
        ["200", "201", "400", "401", "409", "413", "415", "422", "429"],
      ],
      ["GET /v1/invitations/webhook", "getWebhook", ["200", "401", "429"]],
      ["PATCH /v1/invitations/webhook", "updateWebhook", ["200", "400", "401", "404", "413", "415", "429"]],
      ["DELETE /v1/invitations/webhook", "deleteWebhook", ["200", "401", "429"]],
      [
        "POST /v1/invitations/webhook/secret",
        "rotateWebhookSecret",
        ["200", "401", "404", "409", "422", "429"],
      ],
      ["GET /v1/invitations/webhook/deliveries", "listWebhookDeliveries", ["200", "400", "401", "429"]],
      [
        "POST /v1/invitations/webhook/events/{eventId}/resend",
        "resendWebhookEvent",
        ["202", "400", "401", "404", "409", "422", "429"],
      ],
    ]);
    const paths = Object.keys(doc.paths);
    expect(paths.indexOf("/v1/invitations/webhook")).toBeLessThan(
      paths.indexOf("/v1/invitations/{invitationId}"),
    );
  });
});
