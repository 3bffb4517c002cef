import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { createDb } from "../../../src/db/client";
import { type TransitionInput, transition } from "../../../src/invitations/lifecycle";
import { dispatchPendingEvents } from "../../../src/webhooks/outbox";
import { call, createInvitation, postJson } from "../../support/api";
import { eventsOf } from "../../support/db";
import type { RecordedRequest } from "./receiver-server";

export type { RecordedRequest };

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `items[index]`, or a failure naming what is missing. */
export function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index} (of ${items.length})`);
  return item;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One endpoint on the loopback receiver (support/receiver-server.ts), private to a test. */
export class Receiver {
  readonly origin = inject("webhookReceiverOrigin");
  readonly name = crypto.randomUUID();
  readonly url = `${this.origin}/hooks/${this.name}`;

  /** Statuses to answer in order, and delays before answering; the last of each repeats. */
  async script(statuses: number[], delaysMs?: number[]): Promise<void> {
    const res = await fetch(`${this.origin}/control/${this.name}`, {
      method: "PUT",
      body: JSON.stringify({ statuses, delaysMs }),
    });
    if (res.status !== 204) throw new Error(`receiver control: ${res.status}`);
  }

  async requests(): Promise<RecordedRequest[]> {
    const res = await fetch(`${this.origin}/control/${this.name}`);
    return ((await res.json()) as { requests: RecordedRequest[] }).requests;
  }

  /** Waits until exactly `count` requests have arrived, then checks no more come for `settleMs`. */
  async waitForExactly(count: number, { timeoutMs = 20_000, settleMs = 500 } = {}) {
    await waitFor(
      `${count} webhook requests`,
      async () => {
        const got = await this.requests();
        if (got.length > count) throw new Error(`expected ${count} requests, got ${got.length}`);
        return got.length === count ? got : undefined;
      },
      timeoutMs,
    );
    await sleep(settleMs);
    const settled = await this.requests();
    if (settled.length !== count) throw new Error(`expected ${count} requests, got ${settled.length}`);
    return settled;
  }
}

/** Configures the project's webhook to `url`; returns the response body's webhook (with secret). */
export async function configureWebhook(apiKey: string, url: string) {
  const res = await postJson("/v1/invitations/webhook", apiKey, {
    url,
    events: ["invitation.status_changed"],
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`webhook: ${res.status} ${await res.text()}`);
  return (
    (await res.json()) as { webhook: { url: string; events: string[]; active: boolean; secret: string } }
  ).webhook;
}

/** An event of a cancelled invitation, made while the project had no webhook (not delivered). */
export async function cancelledEvent(apiKey: string): Promise<string> {
  const { id } = await createInvitation(apiKey);
  const res = await call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey });
  if (res.status !== 200) throw new Error(`cancel: ${res.status} ${await res.text()}`);
  const [event] = await eventsOf(id);
  if (!event) throw new Error("no event");
  return event.id;
}

export function patchWebhook(apiKey: string, body: unknown) {
  return call("/v1/invitations/webhook", {
    method: "PATCH",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/**
 * A status change as the flow endpoints make it: through the state machine, then the
 * dispatch that runs after such a request.
 */
export async function transitionAndDispatch(invitationId: string, input: TransitionInput, now = Date.now()) {
  const row = await transition(createDb(env.DB), { id: invitationId }, input, now);
  await dispatchPendingEvents(env, now);
  return row;
}

export interface DeliveryEvent {
  id: string;
  type: string;
  timestamp: number;
  projectId: string;
  data: Record<string, unknown>;
}

export const eventOf = (request: RecordedRequest) => JSON.parse(request.body) as DeliveryEvent;

/** The outbox columns of an event row. */
export async function outboxRow(eventId: string) {
  const row = await env.DB.prepare(
    "SELECT delivery_state, delivery_attempts, lease_until FROM invitation_events WHERE id = ?",
  )
    .bind(eventId)
    .first<{ delivery_state: string | null; delivery_attempts: number; lease_until: number | null }>();
  if (!row) throw new Error(`no event ${eventId}`);
  return row;
}
