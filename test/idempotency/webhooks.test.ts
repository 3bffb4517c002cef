import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decryptSecret } from "../../src/lib/crypto";
import { call, createProject, expectError } from "../support/api";
import {
  cancelledEvent,
  configureWebhook,
  outboxRow,
  patchWebhook,
  Receiver,
} from "../webhooks/support/webhooks";
import { withChangeBeforeTheWrite } from "./support";

// Idempotency-Key on the three webhook POSTs (create, rotate, resend). Each claims its key with
// its read, predicts its answer, and records it with its write (src/middleware/idempotency.ts,
// `answerWrite`). These check the answers are the ones the routes give without a key, that
// a retry replays them byte for byte, and that a change landing between the claim and the
// write (forced here) yields the answer of the state the write met, remembered as such.

// Never called: no invitation changes status while a webhook has one of these URLs.
const URL_A = "https://partner.example.com/zavu/webhooks";
const URL_B = "https://hooks.partner.example.com/v2";
const EVENTS = ["invitation.status_changed"];
const WEBHOOK = "/v1/invitations/webhook";

type Init = RequestInit & { apiKey?: string };
const post = (apiKey: string, key: string, body?: unknown): Init => ({
  method: "POST",
  apiKey,
  headers: {
    "Idempotency-Key": key,
    ...(body === undefined ? {} : { "Content-Type": "application/json" }),
  },
  body: body === undefined ? undefined : JSON.stringify(body),
});

/** The exact text of an answer that shows the secret, as the route writes it without a key. */
const secretAnswer = (url: string, secret: string, active = true) =>
  JSON.stringify({ webhook: { url, events: EVENTS, active, signatureVersion: "v2", secret } });

const storedSecret = async (projectId: string) => {
  const row = await env.DB.prepare("SELECT secret_ciphertext FROM webhooks WHERE project_id = ?")
    .bind(projectId)
    .first<{ secret_ciphertext: string }>();
  return row ? decryptSecret(env.ENCRYPTION_KEYS, row.secret_ciphertext, "webhooks.secret_ciphertext") : null;
};

/** Sends `init` to `path` twice with the same key: the second is a replay, byte for byte. */
async function sentTwice(path: string, init: Init, send = call) {
  const first = await send(path, init);
  const text = await first.text();
  const replay = await send(path, init);
  expect(first.headers.get("Idempotent-Replayed")).toBeNull();
  expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  expect(replay.status).toBe(first.status);
  expect(replay.headers.get("Content-Type")).toBe("application/json");
  expect(first.headers.get("Content-Type")).toBe("application/json");
  expect(await replay.text()).toBe(text);
  return {
    status: first.status,
    text,
    json: JSON.parse(text) as { webhook?: { secret: string }; code?: string },
  };
}

describe("a retry with the same key replays the first answer, byte for byte, and acts once", () => {
  it("create (201), then replace (200): the same text the route gives without a key", async () => {
    const { apiKey, projectId } = await createProject();
    const created = await sentTwice(WEBHOOK, post(apiKey, "create", { url: URL_A, events: EVENTS }));
    expect(created.status).toBe(201);
    const secret = String(created.json.webhook?.secret);
    expect(created.text).toBe(secretAnswer(URL_A, secret));
    const replaced = await sentTwice(WEBHOOK, post(apiKey, "replace", { url: URL_B, events: EVENTS }));
    expect(replaced.status).toBe(200);
    expect(replaced.text).toBe(secretAnswer(URL_B, secret));
    // Without a key, the same bytes.
    const plain = await call(WEBHOOK, {
      ...post(apiKey, "-", { url: URL_B, events: EVENTS }),
      headers: { "Content-Type": "application/json" },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("Content-Type")).toBe("application/json");
    expect(await plain.text()).toBe(secretAnswer(URL_B, secret));
    expect(await storedSecret(projectId)).toBe(secret);
  });

  it("rotate: the replay shows the first new secret, and the secret was rotated once", async () => {
    const { apiKey, projectId } = await createProject();
    const old = await configureWebhook(apiKey, URL_A);
    const rotated = await sentTwice(`${WEBHOOK}/secret`, post(apiKey, "rotate"));
    expect(rotated.status).toBe(200);
    const secret = String(rotated.json.webhook?.secret);
    expect(secret).not.toBe(old.secret);
    expect(rotated.text).toBe(secretAnswer(URL_A, secret));
    expect(await storedSecret(projectId)).toBe(secret);
  });

  it("resend: 202 replayed, and the event is delivered once more, not twice", async () => {
    const { apiKey } = await createProject();
    const eventId = await cancelledEvent(apiKey);
    const receiver = new Receiver();
    await configureWebhook(apiKey, receiver.url);
    const resent = await sentTwice(`${WEBHOOK}/events/${eventId}/resend`, post(apiKey, "resend"));
    expect(resent.status).toBe(202);
    expect(resent.text).toBe(JSON.stringify({ eventId, status: "queued" }));
    await receiver.waitForExactly(1, { settleMs: 1000 });
  });

  it("refusals are remembered too: rotate without a webhook (404), resend of no event (404), while paused (400)", async () => {
    const { apiKey } = await createProject();
    const noWebhook = await sentTwice(`${WEBHOOK}/secret`, post(apiKey, "rotate"));
    expect([noWebhook.status, noWebhook.json.code]).toEqual([404, "not_found"]);
    const unknown = `${WEBHOOK}/events/evt_00000000000000000000000000000000/resend`;
    const noEvent = await sentTwice(unknown, post(apiKey, "resend-unknown"));
    expect([noEvent.status, noEvent.json.code]).toEqual([404, "not_found"]);
    const eventId = await cancelledEvent(apiKey);
    await configureWebhook(apiKey, URL_A);
    expect((await patchWebhook(apiKey, { active: false })).status).toBe(200);
    const paused = await sentTwice(`${WEBHOOK}/events/${eventId}/resend`, post(apiKey, "resend-paused"));
    expect([paused.status, paused.json.code]).toEqual([400, "invalid_state"]);
    expect((await outboxRow(eventId))?.delivery_state).toBeNull();
  });
});

/**
 * The raced request answers 200 with the secret answer `expected` names (read from the text
 * when the secret is new), in three round trips: the claim, the write whose predicted answer
 * no longer held, the record. Its replay is the same bytes, and D1 keeps that secret.
 */
async function answersTheStateTheWriteMet(
  race: Awaited<ReturnType<typeof withChangeBeforeTheWrite>>,
  path: string,
  init: Init,
  projectId: string,
  expected: (text: string) => { url: string; secret: string },
): Promise<void> {
  const first = await race.fetchApp(path, init);
  expect(first.status).toBe(200);
  const text = await first.text();
  const { url, secret } = expected(text);
  expect(text).toBe(secretAnswer(url, secret));
  expect(race.roundTrips()).toBe(3);
  const replay = await race.fetchApp(path, init);
  expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  expect([replay.status, await replay.text()]).toEqual([200, text]);
  expect(await storedSecret(projectId)).toBe(secret);
}

describe("a change between the claim and the write: the answer is the state the write met", () => {
  it("replace while another request rotates the secret: 200 with the rotated secret, remembered", async () => {
    const { apiKey, projectId } = await createProject();
    await configureWebhook(apiKey, URL_A);
    let rotated = "";
    const race = await withChangeBeforeTheWrite(apiKey, async () => {
      const res = await call(`${WEBHOOK}/secret`, { method: "POST", apiKey });
      rotated = ((await res.json()) as { webhook: { secret: string } }).webhook.secret;
    });
    const init = post(apiKey, "replace", { url: URL_B, events: EVENTS });
    await answersTheStateTheWriteMet(race, WEBHOOK, init, projectId, () => ({ url: URL_B, secret: rotated }));
  });

  it("create while another request creates: 200 with that request's secret (kept), not a 201", async () => {
    const { apiKey, projectId } = await createProject();
    let theirs = "";
    const race = await withChangeBeforeTheWrite(apiKey, async () => {
      theirs = (await configureWebhook(apiKey, URL_A)).secret;
    });
    const init = post(apiKey, "create", { url: URL_B, events: EVENTS });
    await answersTheStateTheWriteMet(race, WEBHOOK, init, projectId, () => ({ url: URL_B, secret: theirs }));
  });

  it("rotate while another request changes the URL: the answer shows the URL the rotation left", async () => {
    const { apiKey, projectId } = await createProject();
    await configureWebhook(apiKey, URL_A);
    const race = await withChangeBeforeTheWrite(apiKey, async () => {
      expect((await patchWebhook(apiKey, { url: URL_B })).status).toBe(200);
    });
    await answersTheStateTheWriteMet(
      race,
      `${WEBHOOK}/secret`,
      post(apiKey, "rotate"),
      projectId,
      (text) => ({
        url: URL_B,
        // A new secret: the answer names it, and the URL the rotation left.
        secret: (JSON.parse(text) as { webhook: { secret: string } }).webhook.secret,
      }),
    );
  });

  it("rotate while another request deletes the webhook: 404, remembered", async () => {
    const { apiKey, projectId } = await createProject();
    await configureWebhook(apiKey, URL_A);
    const race = await withChangeBeforeTheWrite(apiKey, async () => {
      expect((await call(WEBHOOK, { method: "DELETE", apiKey })).status).toBe(200);
    });
    const init = post(apiKey, "rotate");
    const first = await race.fetchApp(`${WEBHOOK}/secret`, init);
    const text = await first.clone().text();
    await expectError(first, 404, "not_found");
    expect(race.roundTrips()).toBe(3);
    const replay = await race.fetchApp(`${WEBHOOK}/secret`, init);
    expect([replay.status, await replay.text()]).toEqual([404, text]);
    expect(await storedSecret(projectId)).toBeNull();
  });

  it("resend while another request pauses the webhook: 400 invalid_state, remembered, nothing queued", async () => {
    const { apiKey } = await createProject();
    const eventId = await cancelledEvent(apiKey);
    await configureWebhook(apiKey, URL_A);
    const race = await withChangeBeforeTheWrite(apiKey, async () => {
      expect((await patchWebhook(apiKey, { active: false })).status).toBe(200);
    });
    const path = `${WEBHOOK}/events/${eventId}/resend`;
    const init = post(apiKey, "resend");
    const first = await race.fetchApp(path, init);
    const text = await first.clone().text();
    await expectError(first, 400, "invalid_state");
    expect(race.roundTrips()).toBe(3);
    const replay = await race.fetchApp(path, init);
    expect([replay.status, await replay.text()]).toEqual([400, text]);
    expect((await outboxRow(eventId))?.delivery_state).toBeNull();
  });
});
