import { expect, it } from "vitest";
import webhooksDoc from "../../docs/webhooks.md?raw";
import receiver, { verifyZavuSignature } from "../../examples/webhook-receiver";
import receiverSource from "../../examples/webhook-receiver.ts?raw";
import { createInvitation, createProject, postJson } from "../support/api";
import { parseSignature } from "./support/oracle";
import { configureWebhook, nth, Receiver } from "./support/webhooks";

// The receiver in docs/webhooks.md is examples/webhook-receiver.ts, verbatim; here it judges a real
// signed delivery that came over the wire.

it("docs/webhooks.md shows examples/webhook-receiver.ts exactly", () => {
  expect(webhooksDoc).toContain(receiverSource.trim());
});

it("the documented receiver accepts a real delivery, and refuses another secret, an edited body, an old t", async () => {
  const { apiKey } = await createProject();
  const endpoint = new Receiver();
  const { secret } = await configureWebhook(apiKey, endpoint.url);
  const invitation = await createInvitation(apiKey);
  expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
  const delivered = nth(await endpoint.waitForExactly(1), 0);
  const header = delivered.headers["x-zavu-signature"] ?? null;
  const { t } = parseSignature(header ?? undefined);

  expect(await verifyZavuSignature(secret, header, delivered.body)).toBe(true);
  expect(await verifyZavuSignature(`${secret}x`, header, delivered.body)).toBe(false);
  expect(await verifyZavuSignature(secret, header, delivered.body.replace("pending", "failed"))).toBe(false);
  expect(await verifyZavuSignature(secret, null, delivered.body)).toBe(false);
  // Replays: five minutes is the limit.
  expect(await verifyZavuSignature(secret, header, delivered.body, t + 300)).toBe(true);
  expect(await verifyZavuSignature(secret, header, delivered.body, t + 301)).toBe(false);

  const replay = (key: string) =>
    receiver.fetch(
      new Request("https://partner.example.com/zavu", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Zavu-Signature": header ?? "" },
        body: delivered.body,
      }),
      { ZAVU_WEBHOOK_SECRET: key },
    );
  expect((await replay(secret)).status).toBe(204);
  expect((await replay("whsec_not-the-secret")).status).toBe(401);
});
