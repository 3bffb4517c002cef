import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DELIVERY_TIMEOUT_MS } from "../../src/webhooks/consumer";
import { call, createInvitation, createProject, postJson } from "../support/api";
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

// Retries go through the real queue: message.retry with the backoff delay, then the real
// dead-letter queue. vitest.config.ts sets WEBHOOK_RETRY_DELAY_SECONDS=1, WEBHOOK_MAX_ATTEMPTS=4.
const MAX_ATTEMPTS = Number(env.WEBHOOK_MAX_ATTEMPTS);
const BASE_MS = Number(env.WEBHOOK_RETRY_DELAY_SECONDS) * 1000;

interface Delivery {
  id: string;
  eventId: string;
  invitationId: string;
  attempt: number;
  outcome: string;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  createdAt: string;
}

async function deliveries(
  apiKey: string,
  query = "",
): Promise<{ items: Delivery[]; nextCursor: string | null }> {
  const res = await call(`/v1/invitations/webhook/deliveries${query}`, { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as { items: Delivery[]; nextCursor: string | null };
}

async function cancelWithWebhook(receiver: Receiver) {
  const project = await createProject();
  const { secret } = await configureWebhook(project.apiKey, receiver.url);
  const invitation = await createInvitation(project.apiKey);
  expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, project.apiKey, {})).status).toBe(200);
  const [event] = await eventsOf(invitation.id);
  if (!event) throw new Error("no event row");
  return { ...project, secret, invitation, eventId: event.id };
}

const stateIs = (eventId: string, state: string) => async () =>
  (await outboxRow(eventId)).delivery_state === state ? true : undefined;

describe.concurrent("retries", { timeout: 40_000 }, () => {
  it("fails twice then succeeds: exactly 3 attempts, one event id, backoff 1 s then 2 s, marked delivered", async () => {
    const receiver = new Receiver();
    await receiver.script([500, 503, 200]);
    const { apiKey, invitation, eventId, secret } = await cancelWithWebhook(receiver);

    await waitFor("delivered", stateIs(eventId, "delivered"));
    const requests = await receiver.waitForExactly(3, { settleMs: 2 * BASE_MS });
    expect(requests.map((r) => eventOf(r).id)).toEqual([eventId, eventId, eventId]);
    // The same event, byte for byte; each attempt signed afresh (and validly).
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const request of requests) expect(await signedWith(request, secret)).toBe(true);
    const gaps = [1, 2].map((i) => nth(requests, i).receivedAt - nth(requests, i - 1).receivedAt);
    expect(nth(gaps, 0)).toBeGreaterThanOrEqual(BASE_MS - 50);
    expect(nth(gaps, 1)).toBeGreaterThanOrEqual(2 * BASE_MS - 50);
    expect(await outboxRow(eventId)).toEqual({
      delivery_state: "delivered",
      delivery_attempts: 3,
      lease_until: null,
    });

    const { items } = await deliveries(apiKey);
    expect(items.map(({ id: _, durationMs: __, createdAt: ___, ...rest }) => rest)).toEqual([
      {
        eventId,
        invitationId: invitation.id,
        attempt: 3,
        outcome: "delivered",
        responseStatus: 200,
        error: null,
        responseExcerpt: "ok, thanks",
      },
      {
        eventId,
        invitationId: invitation.id,
        attempt: 2,
        outcome: "retrying",
        responseStatus: 503,
        error: "HTTP 503",
        responseExcerpt: "receiver says no (503)",
      },
      {
        eventId,
        invitationId: invitation.id,
        attempt: 1,
        outcome: "retrying",
        responseStatus: 500,
        error: "HTTP 500",
        responseExcerpt: "receiver says no (500)",
      },
    ]);
    for (const item of items) {
      expect(item.id).toMatch(/^dlv_[0-9a-z]{24}$/);
      expect(item.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(item.createdAt)).toBeGreaterThanOrEqual(nth(requests, 0).receivedAt);
    }
  });

  it("always fails: exactly WEBHOOK_MAX_ATTEMPTS attempts, dead-lettered and marked failed; a resend delivers", async () => {
    const receiver = new Receiver();
    await receiver.script([500]);
    const { apiKey, eventId, secret } = await cancelWithWebhook(receiver);

    // Only the dead-letter queue's consumer marks an event failed.
    await waitFor("dead-lettered", stateIs(eventId, "failed"), 30_000);
    // A further retry would come 2^(MAX_ATTEMPTS-1) s after the last: none does.
    const failed = await receiver.waitForExactly(MAX_ATTEMPTS, { settleMs: 2 * BASE_MS });
    expect(new Set(failed.map((r) => eventOf(r).id))).toEqual(new Set([eventId]));
    expect((await outboxRow(eventId)).delivery_attempts).toBe(MAX_ATTEMPTS);
    const history = (await deliveries(apiKey)).items;
    expect(history.map((d) => [d.attempt, d.outcome])).toEqual([
      [4, "failed"],
      [3, "retrying"],
      [2, "retrying"],
      [1, "retrying"],
    ]);

    await receiver.script([200]);
    const resend = await call(`/v1/invitations/webhook/events/${eventId}/resend`, { method: "POST", apiKey });
    expect(resend.status).toBe(202);
    expect(await resend.json()).toEqual({ eventId, status: "queued" });
    await waitFor("delivered after resend", stateIs(eventId, "delivered"));
    const all = await receiver.waitForExactly(MAX_ATTEMPTS + 1);
    const last = nth(all, MAX_ATTEMPTS);
    expect(eventOf(last).id).toBe(eventId);
    expect(last.body).toBe(nth(all, 0).body);
    expect(await signedWith(last, secret)).toBe(true);
    expect(nth((await deliveries(apiKey)).items, 0)).toMatchObject({
      attempt: MAX_ATTEMPTS + 1,
      outcome: "delivered",
      responseStatus: 200,
    });
  });

  it(`a receiver slower than ${DELIVERY_TIMEOUT_MS / 1000} s is a failed attempt, retried`, async () => {
    const receiver = new Receiver();
    await receiver.script([200], [DELIVERY_TIMEOUT_MS + 1000, 0]);
    const { apiKey, eventId } = await cancelWithWebhook(receiver);
    await waitFor("delivered", stateIs(eventId, "delivered"), 30_000);
    await receiver.waitForExactly(2);
    const [second, first] = (await deliveries(apiKey)).items;
    expect(first).toMatchObject({
      attempt: 1,
      outcome: "retrying",
      responseStatus: null,
      error: "Timed out after 10 s",
    });
    expect(first?.durationMs).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 50);
    expect(first?.durationMs).toBeLessThan(DELIVERY_TIMEOUT_MS + 1000);
    expect(second).toMatchObject({ attempt: 2, outcome: "delivered", responseStatus: 200 });
  });
});

describe.concurrent("paused or deleted webhooks receive nothing", { timeout: 20_000 }, () => {
  it("a change while paused is not delivered, not even after resuming", async () => {
    const receiver = new Receiver();
    const project = await createProject();
    await configureWebhook(project.apiKey, receiver.url);
    expect((await patchWebhook(project.apiKey, { active: false })).status).toBe(200);
    const invitation = await createInvitation(project.apiKey);
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, project.apiKey, {})).status).toBe(200);
    const [event] = await eventsOf(invitation.id);
    expect(event && (await outboxRow(event.id)).delivery_state).toBeNull();
    expect((await patchWebhook(project.apiKey, { active: true })).status).toBe(200);
    const next = await createInvitation(project.apiKey);
    expect((await postJson(`/v1/invitations/${next.id}/cancel`, project.apiKey, {})).status).toBe(200);
    const [request] = await receiver.waitForExactly(1, { settleMs: 1000 });
    expect(request && eventOf(request).data.invitationId).toBe(next.id);
  });

  it.each(["paused", "deleted"] as const)(
    "%s between a failed attempt and its retry: no more attempts",
    async (how) => {
      const receiver = new Receiver();
      await receiver.script([500, 200]);
      const { apiKey, eventId } = await cancelWithWebhook(receiver);
      await receiver.waitForExactly(1, { settleMs: 0 });
      const res =
        how === "paused"
          ? await patchWebhook(apiKey, { active: false })
          : await call("/v1/invitations/webhook", { method: "DELETE", apiKey });
      expect(res.status).toBe(200);
      await waitFor("skipped", stateIs(eventId, "skipped"));
      await receiver.waitForExactly(1, { settleMs: 2 * BASE_MS });
    },
  );
});

describe.concurrent("deliveries list", { timeout: 20_000 }, () => {
  it("pages newest first with a cursor; another project sees none of it", async () => {
    const receiver = new Receiver();
    await receiver.script([500, 500, 200]);
    const { apiKey, eventId } = await cancelWithWebhook(receiver);
    await waitFor("delivered", stateIs(eventId, "delivered"));
    const all = (await deliveries(apiKey)).items;
    expect(all.map((d) => d.attempt)).toEqual([3, 2, 1]);
    const first = await deliveries(apiKey, "?limit=2");
    expect(first.items).toEqual(all.slice(0, 2));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await deliveries(apiKey, `?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`);
    expect(second).toEqual({ items: all.slice(2), nextCursor: null });

    const other = await createProject();
    expect(await deliveries(other.apiKey)).toEqual({ items: [], nextCursor: null });
    const stolen = await call(
      `/v1/invitations/webhook/deliveries?cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
      { apiKey: other.apiKey },
    );
    expect(stolen.status).toBe(400);
  });
});
