import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyZavuSignature } from "../../examples/webhook-receiver";
import { decryptSecret } from "../../src/lib/crypto";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { expectedSignatureHeader, hmacSha256Hex, parseSignature } from "./support/oracle";
import { configureWebhook, nth, patchWebhook, Receiver, type RecordedRequest } from "./support/webhooks";

// Exact X-Zavu-Signature contents for each signatureVersion, with and without a rotated-out
// secret in its 24 h overlap. Every HMAC is computed here (support/oracle.ts), not by src/.

const WEBHOOK = "/v1/invitations/webhook";
const DAY_MS = 24 * 60 * 60 * 1000;

async function rotate(apiKey: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await call(`${WEBHOOK}/secret`, { method: "POST", apiKey, headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { webhook: { secret: string } }).webhook.secret;
}

/** A status change of a new invitation, and its delivery: the n-th request `receiver` gets. */
async function deliverOne(apiKey: string, receiver: Receiver, n: number): Promise<RecordedRequest> {
  const invitation = await createInvitation(apiKey);
  expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
  return nth(await receiver.waitForExactly(n), n - 1);
}

const headerOf = (request: RecordedRequest) => request.headers["x-zavu-signature"] ?? "";

/** The header as the contract words it, for this request's `t` and body. */
async function expected(request: RecordedRequest, secrets: string[], version: "v2" | "v1+v2") {
  const { t } = parseSignature(headerOf(request));
  return expectedSignatureHeader(secrets, request.body, t, version);
}

async function storedRow(projectId: string) {
  const row = await env.DB.prepare(
    "SELECT secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, signature_version, updated_at FROM webhooks WHERE project_id = ? AND mode = 'live'",
  )
    .bind(projectId)
    .first<{
      secret_ciphertext: string;
      previous_secret_ciphertext: string | null;
      previous_secret_expires_at: number | null;
      signature_version: string;
      updated_at: number;
    }>();
  if (!row) throw new Error("no webhook");
  return {
    secret: await decryptSecret(env.ENCRYPTION_KEYS, row.secret_ciphertext, "webhooks.secret_ciphertext"),
    previous:
      row.previous_secret_ciphertext === null
        ? null
        : await decryptSecret(
            env.ENCRYPTION_KEYS,
            row.previous_secret_ciphertext,
            "webhooks.previous_secret_ciphertext",
          ),
    previousExpiresAt: row.previous_secret_expires_at,
    signatureVersion: row.signature_version,
    updatedAt: row.updated_at,
  };
}

describe("signatureVersion", () => {
  it("a new webhook is v2: the header is exactly t and v2 = HMAC(secret, '<t>.<body>')", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    const hook = await configureWebhook(apiKey, receiver.url);
    expect(hook).toMatchObject({ signatureVersion: "v2" });
    const request = await deliverOne(apiKey, receiver, 1);
    const { t } = parseSignature(headerOf(request));
    expect(headerOf(request)).toBe(`t=${t},v2=${await hmacSha256Hex(hook.secret, `${t}.${request.body}`)}`);
    expect(headerOf(request)).toBe(await expected(request, [hook.secret], "v2"));
  });

  it("v1+v2: the header is exactly t, v1 = HMAC(secret, body), v2; set on create, kept on replace", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    const res = await postJson(WEBHOOK, apiKey, { url: receiver.url, signatureVersion: "v1+v2" });
    expect(res.status).toBe(201);
    const { webhook } = (await res.json()) as { webhook: { secret: string; signatureVersion: string } };
    expect(webhook.signatureVersion).toBe("v1+v2");
    // Replacing without the field keeps the receiver's version.
    expect(await configureWebhook(apiKey, receiver.url)).toMatchObject({ signatureVersion: "v1+v2" });

    const request = await deliverOne(apiKey, receiver, 1);
    const { t } = parseSignature(headerOf(request));
    const [v1, v2] = [
      await hmacSha256Hex(webhook.secret, request.body),
      await hmacSha256Hex(webhook.secret, `${t}.${request.body}`),
    ];
    expect(headerOf(request)).toBe(`t=${t},v1=${v1},v2=${v2}`);
  });

  it("PATCH switches it both ways; deliveries follow", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    const { secret } = await configureWebhook(apiKey, receiver.url);
    const toBoth = await patchWebhook(apiKey, { signatureVersion: "v1+v2" });
    expect(toBoth.status).toBe(200);
    expect(
      ((await toBoth.json()) as { webhook: { signatureVersion: string } }).webhook.signatureVersion,
    ).toBe("v1+v2");
    const first = await deliverOne(apiKey, receiver, 1);
    expect(headerOf(first)).toBe(await expected(first, [secret], "v1+v2"));
    expect(parseSignature(headerOf(first)).v1).toHaveLength(1);

    expect((await patchWebhook(apiKey, { signatureVersion: "v2" })).status).toBe(200);
    const second = await deliverOne(apiKey, receiver, 2);
    expect(headerOf(second)).toBe(await expected(second, [secret], "v2"));
    expect(parseSignature(headerOf(second)).v1).toEqual([]);
  });

  it("anything but v2 or v1+v2 is a 400 naming signatureVersion, and changes nothing", async () => {
    const { apiKey, projectId } = await createProject();
    for (const value of ["v1", "v3", "V2", "", 2, null]) {
      const body = await expectError(
        await postJson(WEBHOOK, apiKey, {
          url: "https://partner.example.com/hooks",
          signatureVersion: value,
        }),
        400,
        "invalid_request",
      );
      expect(Object.keys((body.details as { fields: Json }).fields)).toEqual(["signatureVersion"]);
    }
    expect(
      await env.DB.prepare("SELECT 1 FROM webhooks WHERE project_id = ?").bind(projectId).first(),
    ).toBeNull();

    await configureWebhook(apiKey, "https://partner.example.com/hooks");
    const before = await storedRow(projectId);
    const body = await expectError(
      await patchWebhook(apiKey, { signatureVersion: "v1" }),
      400,
      "invalid_request",
    );
    expect(Object.keys((body.details as { fields: Json }).fields)).toEqual(["signatureVersion"]);
    expect(await storedRow(projectId)).toEqual(before);
  });

  it("the OpenAPI document shows it on the webhook object and both requests", async () => {
    const res = await call("/openapi.json");
    const doc = (await res.json()) as {
      components: { schemas: Record<string, { properties: Json; required?: string[] }> };
    };
    for (const name of ["Webhook", "WebhookWithSecret", "WebhookCreateRequest", "WebhookUpdateRequest"]) {
      expect(doc.components.schemas[name]?.properties.signatureVersion).toMatchObject({
        enum: ["v2", "v1+v2"],
      });
    }
    expect(doc.components.schemas.Webhook?.required).toContain("signatureVersion");
    expect(doc.components.schemas.WebhookCreateRequest?.required ?? []).not.toContain("signatureVersion");
  });
});

type Json = Record<string, unknown>;

describe("rotation overlap", () => {
  it("after a rotation, 24 h of a second signature with the old secret: v2, current first", async () => {
    const { apiKey, projectId } = await createProject();
    const receiver = new Receiver();
    const { secret: original } = await configureWebhook(apiKey, receiver.url);
    const rotated = await rotate(apiKey);
    const row = await storedRow(projectId);
    expect(row).toMatchObject({ secret: rotated, previous: original });
    expect(row.previousExpiresAt).toBe(row.updatedAt + DAY_MS);
    // Both sealed at rest: neither secret, nor its random part, is in the stored row.
    const raw = JSON.stringify(
      await env.DB.prepare("SELECT * FROM webhooks WHERE project_id = ?").bind(projectId).first(),
    );
    for (const secret of [original, rotated]) expect(raw).not.toContain(secret.slice("whsec_".length));

    const request = await deliverOne(apiKey, receiver, 1);
    const { t, v2 } = parseSignature(headerOf(request));
    expect(v2).toEqual([
      await hmacSha256Hex(rotated, `${t}.${request.body}`),
      await hmacSha256Hex(original, `${t}.${request.body}`),
    ]);
    expect(headerOf(request)).toBe(`t=${t},v2=${v2[0]},v2=${v2[1]}`);
    // The README's receiver accepts it with either secret, so a partner can roll.
    const header = headerOf(request);
    expect(await verifyZavuSignature(rotated, header, request.body, t)).toBe(true);
    expect(await verifyZavuSignature(original, header, request.body, t)).toBe(true);
    expect(await verifyZavuSignature("whsec_another", header, request.body, t)).toBe(false);
  });

  it("v1+v2 during the overlap: t, v1 new, v1 old, v2 new, v2 old", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    const created = await postJson(WEBHOOK, apiKey, { url: receiver.url, signatureVersion: "v1+v2" });
    const original = ((await created.json()) as { webhook: { secret: string } }).webhook.secret;
    const rotated = await rotate(apiKey);
    const request = await deliverOne(apiKey, receiver, 1);
    const { t } = parseSignature(headerOf(request));
    const mac = (secret: string, message: string) => hmacSha256Hex(secret, message);
    expect(headerOf(request)).toBe(
      [
        `t=${t}`,
        `v1=${await mac(rotated, request.body)}`,
        `v1=${await mac(original, request.body)}`,
        `v2=${await mac(rotated, `${t}.${request.body}`)}`,
        `v2=${await mac(original, `${t}.${request.body}`)}`,
      ].join(","),
    );
  });

  it("once the overlap has ended, the old secret signs nothing", async () => {
    const { apiKey, projectId } = await createProject();
    const receiver = new Receiver();
    await configureWebhook(apiKey, receiver.url);
    const rotated = await rotate(apiKey);
    await env.DB.prepare("UPDATE webhooks SET previous_secret_expires_at = ? WHERE project_id = ?")
      .bind(Date.now() - 1, projectId)
      .run();
    const request = await deliverOne(apiKey, receiver, 1);
    expect(headerOf(request)).toBe(await expected(request, [rotated], "v2"));
  });

  it("a second rotation within the overlap keeps only the secret it replaced as the old one", async () => {
    const { apiKey, projectId } = await createProject();
    const receiver = new Receiver();
    const { secret: original } = await configureWebhook(apiKey, receiver.url);
    const second = await rotate(apiKey);
    const third = await rotate(apiKey);
    expect(await storedRow(projectId)).toMatchObject({ secret: third, previous: second });
    const request = await deliverOne(apiKey, receiver, 1);
    expect(headerOf(request)).toBe(await expected(request, [third, second], "v2"));
    const { t } = parseSignature(headerOf(request));
    expect(await verifyZavuSignature(original, headerOf(request), request.body, t)).toBe(false);
  });

  it("a replayed rotation (same Idempotency-Key) rotates once: the old secret is still the original", async () => {
    const { apiKey, projectId } = await createProject();
    const { secret: original } = await configureWebhook(apiKey, "https://partner.example.com/hooks");
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const first = await rotate(apiKey, key);
    expect(await rotate(apiKey, key)).toBe(first);
    expect(await storedRow(projectId)).toMatchObject({ secret: first, previous: original });
  });

  it("DELETE then POST: a new webhook with no old secret", async () => {
    const { apiKey, projectId } = await createProject();
    const receiver = new Receiver();
    await configureWebhook(apiKey, receiver.url);
    await rotate(apiKey);
    expect((await call(WEBHOOK, { method: "DELETE", apiKey })).status).toBe(200);
    const { secret } = await configureWebhook(apiKey, receiver.url);
    expect(await storedRow(projectId)).toMatchObject({ secret, previous: null, previousExpiresAt: null });
    const request = await deliverOne(apiKey, receiver, 1);
    expect(headerOf(request)).toBe(await expected(request, [secret], "v2"));
  });
});
