import { describe, expect, it } from "vitest";
import { call, createInvitation, createProject, postJson } from "../support/api";
import { eventsOf } from "../support/db";
import { hmacSha256Hex, parseSignature } from "./support/oracle";
import { configureWebhook, eventOf, nth, Receiver } from "./support/webhooks";

// End to end, as a client and a partner meet it: the client drives the invite link's flow
// endpoints (test mode: the vitest Worker has no META_APP_ID, so every invitation runs against
// the built-in fake of Meta), the partner cancels through the API, and every status change
// reaches the partner's receiver through the real Worker entry (its waitUntil dispatch, the
// queue, the consumer) as one signed event, in order, with the data of that moment.

// The attempt secret of each token's last start, sent on the later steps as the page does.
const secrets = new Map<string, string>();
async function flow(token: string, step: string, body: unknown = {}) {
  const res = await call(`/invite/${token}/${step}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Attempt-Secret": secrets.get(token) ?? "" },
    body: JSON.stringify(body),
  });
  if (step === "start" && res.status === 200) {
    const { attemptSecret } = (await res.clone().json()) as { attemptSecret: string };
    secrets.set(token, attemptSecret);
  }
  return res;
}

async function expectStatus(res: Response, status: string) {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect((JSON.parse(text) as { invitation: { status: string } }).invitation.status).toBe(status);
}

describe("webhooks for changes made through the invite link's flow endpoints", () => {
  it("start, fail, start, complete: four signed events with the failure reason and the sender", async () => {
    const project = await createProject();
    const receiver = new Receiver();
    const { secret } = await configureWebhook(project.apiKey, receiver.url);
    const invitation = await createInvitation(project.apiKey, {
      clientName: "Acme Corp",
      clientEmail: "ops@acme.test",
    });

    await expectStatus(await flow(invitation.token, "start"), "in_progress");
    await receiver.waitForExactly(1, { settleMs: 0 });
    await expectStatus(
      await flow(invitation.token, "fail", { reason: "fb_cancelled", step: "PHONE_NUMBER_SETUP" }),
      "failed",
    );
    await receiver.waitForExactly(2, { settleMs: 0 });
    await expectStatus(await flow(invitation.token, "start"), "in_progress");
    await receiver.waitForExactly(3, { settleMs: 0 });
    await expectStatus(
      await flow(invitation.token, "complete", { code: `fake.ok.${crypto.randomUUID()}`, event: "FINISH" }),
      "completed",
    );
    const requests = await receiver.waitForExactly(4);

    const got = await (await call(`/v1/invitations/${invitation.id}`, { apiKey: project.apiKey })).json<{
      invitation: { senderId: string; connectedAccount: Record<string, unknown> };
    }>();
    const rows = await eventsOf(invitation.id);
    expect(rows.map((r) => r.current_status)).toEqual(["in_progress", "failed", "in_progress", "completed"]);

    const base = {
      invitationId: invitation.id,
      clientName: "Acme Corp",
      clientEmail: "ops@acme.test",
      connectionType: "whatsapp_waba",
      metadata: {},
    };
    const expected = [
      { ...base, previousStatus: "pending", currentStatus: "in_progress" },
      { ...base, previousStatus: "in_progress", currentStatus: "failed", failureReason: "fb_cancelled" },
      { ...base, previousStatus: "failed", currentStatus: "in_progress" },
      {
        ...base,
        previousStatus: "in_progress",
        currentStatus: "completed",
        senderId: got.invitation.senderId,
        connectedAccount: got.invitation.connectedAccount,
      },
    ];
    for (const [i, data] of expected.entries()) {
      const request = nth(requests, i);
      const event = eventOf(request);
      expect(event).toEqual({
        id: nth(rows, i).id,
        type: "invitation.status_changed",
        timestamp: nth(rows, i).created_at,
        projectId: project.projectId,
        data,
      });
      const signature = parseSignature(request.headers["x-zavu-signature"] ?? "");
      // A new webhook is `v2`: the timestamped signature only.
      expect(signature.v2).toEqual([await hmacSha256Hex(secret, `${signature.t}.${request.body}`)]);
      expect(signature.v1).toEqual([]);
    }
    expect(got.invitation.senderId).toMatch(/^snd_/);
  });

  it("a refused flow step (complete while pending) and a repeated complete send nothing more", async () => {
    const project = await createProject();
    const receiver = new Receiver();
    await configureWebhook(project.apiKey, receiver.url);
    const invitation = await createInvitation(project.apiKey, { clientName: "Acme Corp" });

    const refused = await flow(invitation.token, "complete", { code: `fake.ok.${crypto.randomUUID()}` });
    expect(refused.status).toBe(400);
    await expectStatus(await flow(invitation.token, "start"), "in_progress");
    const code = `fake.ok.${crypto.randomUUID()}`;
    await expectStatus(await flow(invitation.token, "complete", { code, event: "FINISH" }), "completed");
    await expectStatus(await flow(invitation.token, "complete", { code, event: "FINISH" }), "completed");
    const requests = await receiver.waitForExactly(2);
    expect(requests.map((r) => eventOf(r).data.currentStatus)).toEqual(["in_progress", "completed"]);
    expect(await eventsOf(invitation.id)).toHaveLength(2);
  });

  it("a partner's cancel mid-flow: one cancelled event after the started one; the link is then gone", async () => {
    const project = await createProject();
    const receiver = new Receiver();
    await configureWebhook(project.apiKey, receiver.url);
    const invitation = await createInvitation(project.apiKey, { clientName: "Acme Corp" });

    await expectStatus(await flow(invitation.token, "start"), "in_progress");
    const cancelled = await postJson(`/v1/invitations/${invitation.id}/cancel`, project.apiKey, {});
    expect(cancelled.status).toBe(200);
    const late = await flow(invitation.token, "complete", { code: `fake.ok.${crypto.randomUUID()}` });
    expect(late.status).toBe(410);
    const requests = await receiver.waitForExactly(2);
    expect(requests.map((r) => [eventOf(r).data.previousStatus, eventOf(r).data.currentStatus])).toEqual([
      ["pending", "in_progress"],
      ["in_progress", "cancelled"],
    ]);
  });
});
