import { describe, expect, it } from "vitest";
import { addPhoneNumber, createInvitation, createProject, postJson } from "../support/api";
import { appWith } from "../support/app";
import { eventsOf, invitationRow, setExpiresAt } from "../support/db";
import { hmacSha256Hex, parseSignature, runCron, signedWith } from "./support/oracle";
import {
  configureWebhook,
  eventOf,
  nth,
  outboxRow,
  Receiver,
  transitionAndDispatch,
} from "./support/webhooks";

// Every status change reaches the receiver as one signed `invitation.status_changed`, with the
// data of that moment. start/fail/complete are driven through the state machine (lifecycle.ts)
// as the flow endpoints drive it; cancel through the partner API; expiry through the sweep.

async function setup(
  body: Record<string, unknown> = { clientName: "Acme Corp", clientEmail: "ops@acme.test" },
) {
  const project = await createProject();
  const receiver = new Receiver();
  const webhook = await configureWebhook(project.apiKey, receiver.url);
  const invitation = await createInvitation(project.apiKey, body);
  return { ...project, receiver, secret: webhook.secret, invitation };
}

describe("one signed event per transition", () => {
  it("start, fail, start again, complete: each delivered once, exact body, data as of the change", async () => {
    const { projectId, receiver, secret, invitation } = await setup();
    const t0 = Date.now();
    const steps = [
      { input: { event: "start" } as const, from: "pending", to: "in_progress", extra: {} },
      {
        input: { event: "fail", failureReason: "fb_cancelled" } as const,
        from: "in_progress",
        to: "failed",
        extra: { failureReason: "fb_cancelled" },
      },
      // The retry clears the invitation's failure reason; the failed event keeps it.
      { input: { event: "start" } as const, from: "failed", to: "in_progress", extra: {} },
      {
        input: {
          event: "complete",
          senderId: "snd_acme",
          connectedAccount: { id: "109876543210", channel: "whatsapp", name: "Acme Support" },
        } as const,
        from: "in_progress",
        to: "completed",
        extra: {
          senderId: "snd_acme",
          connectedAccount: { id: "109876543210", channel: "whatsapp", name: "Acme Support" },
        },
      },
    ];
    for (const [i, step] of steps.entries()) {
      expect(await transitionAndDispatch(invitation.id, step.input, t0 + i)).not.toBeNull();
      await receiver.waitForExactly(i + 1, { settleMs: 0 });
    }
    const requests = await receiver.waitForExactly(steps.length);
    const rows = await eventsOf(invitation.id);
    expect(rows).toHaveLength(steps.length);
    for (const [i, step] of steps.entries()) {
      const request = nth(requests, i);
      expect(request.method).toBe("POST");
      expect(request.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(request.body)).toEqual({
        id: rows[i]?.id,
        type: "invitation.status_changed",
        timestamp: t0 + i,
        projectId,
        data: {
          invitationId: invitation.id,
          clientName: "Acme Corp",
          clientEmail: "ops@acme.test",
          connectionType: "whatsapp_waba",
          previousStatus: step.from,
          currentStatus: step.to,
          metadata: {},
          ...step.extra,
        },
      });
      expect(await signedWith(request, secret)).toBe(true);
    }
    expect((await invitationRow(invitation.id)).failure_reason).toBeNull();
    for (const row of rows) expect((await outboxRow(row.id)).delivery_state).toBe("delivered");
  });

  it("the signature verifies with the secret, over the exact bytes, and fails with another secret", async () => {
    const { apiKey, receiver, secret, invitation } = await setup();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const before = Math.floor(Date.now() / 1000);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
    const request = nth(await receiver.waitForExactly(1), 0);
    const { t, v1, v2 } = parseSignature(request.headers["x-zavu-signature"]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    // The key is the `whsec_…` string itself, not a decoding of it; a new webhook is `v2` only.
    expect(v1).toEqual([]);
    expect(v2).toEqual([await hmacSha256Hex(secret, `${t}.${request.body}`)]);
    expect(request.headers["x-zavu-signature"]).toBe(`t=${t},v2=${v2[0]}`);
    expect(await signedWith(request, secret)).toBe(true);
    expect(await signedWith(request, "whsec_someone-elses-secret-0000000000000000000")).toBe(false);
    expect(await signedWith(request, secret.slice("whsec_".length))).toBe(false);
    expect(
      await signedWith({ ...request, body: request.body.replace("cancelled", "completed") }, secret),
    ).toBe(false);
    expect(request.headers["x-zavu-event-id"]).toBe(eventOf(request).id);
  });

  it("cancel through the partner API, on a messenger invitation", async () => {
    const { apiKey, projectId, receiver, secret } = await setup();
    const invitation = await createInvitation(apiKey, { connectionType: "messenger" });
    const res = await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {});
    expect(res.status).toBe(200);
    const cancelled = ((await res.json()) as { invitation: { updatedAt: string } }).invitation;
    const request = nth(await receiver.waitForExactly(1), 0);
    const [row] = await eventsOf(invitation.id);
    expect(JSON.parse(request.body)).toEqual({
      id: row?.id,
      type: "invitation.status_changed",
      timestamp: Date.parse(cancelled.updatedAt),
      projectId,
      data: {
        invitationId: invitation.id,
        clientName: null,
        clientEmail: null,
        connectionType: "messenger",
        previousStatus: "pending",
        currentStatus: "cancelled",
        metadata: {},
      },
    });
    expect(await signedWith(request, secret)).toBe(true);
  });

  it("expiry through the sweep: one `expired` event dated expiresAt, from failed too", async () => {
    const { projectId, receiver, invitation } = await setup();
    const now = Date.now();
    await transitionAndDispatch(invitation.id, { event: "start" }, now - 120_000);
    await transitionAndDispatch(
      invitation.id,
      { event: "fail", failureReason: "signup_abandoned" },
      now - 90_000,
    );
    await receiver.waitForExactly(2, { settleMs: 0 });
    const expiresAt = now - 60_000;
    await setExpiresAt(invitation.id, expiresAt);
    await runCron(Date.now());
    await runCron(Date.now()); // a second sweep finds nothing more to persist
    const requests = await receiver.waitForExactly(3);
    const rows = await eventsOf(invitation.id);
    expect(rows.map((r) => r.current_status)).toEqual(["in_progress", "failed", "expired"]);
    expect(eventOf(nth(requests, 2))).toEqual({
      id: rows[2]?.id,
      type: "invitation.status_changed",
      timestamp: expiresAt,
      projectId,
      data: {
        invitationId: invitation.id,
        clientName: "Acme Corp",
        clientEmail: "ops@acme.test",
        connectionType: "whatsapp_waba",
        previousStatus: "failed",
        currentStatus: "expired",
        metadata: {},
      },
    });
  });

  it("expiry through time: reads say expired before any sweep, and exactly one event follows", async () => {
    const { apiKey, receiver, invitation } = await setup();
    const expiresAt = Date.parse(invitation.expiresAt as string);
    const later = appWith({ now: () => expiresAt + 60_000 });
    const read = await later(`/v1/invitations/${invitation.id}`, { apiKey });
    expect(((await read.json()) as { invitation: { status: string } }).invitation.status).toBe("expired");
    // Reads persist nothing and emit nothing.
    expect(await eventsOf(invitation.id)).toEqual([]);
    await runCron(expiresAt + 60_000);
    const request = nth(await receiver.waitForExactly(1), 0);
    expect(eventOf(request)).toMatchObject({
      timestamp: expiresAt,
      data: { previousStatus: "pending", currentStatus: "expired" },
    });
    await runCron(expiresAt + 120_000);
    await receiver.waitForExactly(1);
    expect(await eventsOf(invitation.id)).toHaveLength(1);
  });

  it("expired by time, persisted by a create taking its phone number: one `expired` event, dated expiresAt", async () => {
    const project = await createProject();
    const receiver = new Receiver();
    await configureWebhook(project.apiKey, receiver.url);
    const phoneNumberId = await addPhoneNumber(project.projectId);
    const invitation = await createInvitation(project.apiKey, { phoneNumberId });
    const expiresAt = Date.parse(invitation.expiresAt as string);
    const later = appWith({ now: () => expiresAt + 1000 });
    // A refused cancel changes nothing, so it emits nothing.
    const cancel = await later(`/v1/invitations/${invitation.id}/cancel`, {
      method: "POST",
      apiKey: project.apiKey,
    });
    expect(cancel.status).toBe(400);
    const create = await later("/v1/invitations", {
      method: "POST",
      apiKey: project.apiKey,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phoneNumberId }),
    });
    expect(create.status).toBe(201);
    const request = nth(await receiver.waitForExactly(1), 0);
    expect(eventOf(request)).toMatchObject({
      timestamp: expiresAt,
      data: { invitationId: invitation.id, previousStatus: "pending", currentStatus: "expired" },
    });
    await runCron(expiresAt + 2000);
    await receiver.waitForExactly(1);
    expect((await eventsOf(invitation.id)).map((e) => e.current_status)).toEqual(["expired"]);
  });
});
