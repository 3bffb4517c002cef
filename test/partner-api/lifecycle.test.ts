import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { INVITATION_STATUSES, type InvitationStatus } from "../../src/db/schema";
import {
  effectiveStatus,
  markViewed,
  TRANSITIONS,
  type TransitionInput,
  transition,
} from "../../src/invitations/lifecycle";
import { createInvitation, createProject } from "../support/api";
import { eventsOf, invitationRow, setExpiresAt, setStatus } from "../support/db";

// The state machine itself, event by event and status by status: every pair the contract's
// lifecycle allows succeeds with its fields and one recorded event; every other pair changes
// nothing. (The HTTP routes reach cancel and expire; start, complete and fail belong to the
// onboarding flow, which calls the same function.)

const db = () => createDb(env.DB);

const inputs: Record<keyof typeof TRANSITIONS, TransitionInput> = {
  start: { event: "start" },
  complete: {
    event: "complete",
    senderId: "snd_test",
    connectedAccount: { id: "1234567890", channel: "whatsapp", name: "Acme Support" },
  },
  fail: { event: "fail", failureReason: "fb_cancelled" },
  cancel: { event: "cancel" },
  expire: { event: "expire" },
};

const expected: Record<keyof typeof TRANSITIONS, { from: InvitationStatus[]; to: InvitationStatus }> = {
  start: { from: ["pending", "failed"], to: "in_progress" },
  complete: { from: ["in_progress"], to: "completed" },
  fail: { from: ["in_progress"], to: "failed" },
  cancel: { from: ["pending", "in_progress", "failed"], to: "cancelled" },
  expire: { from: ["pending", "in_progress", "failed"], to: "expired" },
};

describe("lifecycle: the transition table", () => {
  it("is the contract's", () => {
    for (const [event, rule] of Object.entries(TRANSITIONS)) {
      const want = expected[event as keyof typeof TRANSITIONS];
      expect([...rule.from].sort(), event).toEqual([...want.from].sort());
      expect(rule.to, event).toBe(want.to);
    }
  });

  for (const event of Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[]) {
    for (const from of INVITATION_STATUSES) {
      const allowed = expected[event].from.includes(from);
      it(`${event} from ${from}: ${allowed ? `→ ${expected[event].to}` : "refused, nothing changes"}`, async () => {
        const { apiKey, projectId } = await createProject();
        const { id } = await createInvitation(apiKey);
        if (from !== "pending") await setStatus(id, from);
        const now = Date.now() + 1_000;
        // expire applies only once expiresAt has passed; every other event only before.
        if (event === "expire") await setExpiresAt(id, now - 1);
        const before = await invitationRow(id);
        const eventsBefore = (await eventsOf(id)).length;

        const row = await transition(db(), { id, projectId }, inputs[event], now);

        const after = await invitationRow(id);
        const events = await eventsOf(id);
        if (!allowed) {
          expect(row).toBeNull();
          expect(after).toEqual(before);
          expect(events).toHaveLength(eventsBefore);
          return;
        }
        expect(row?.status).toBe(expected[event].to);
        expect(after.status).toBe(expected[event].to);
        expect(events).toHaveLength(eventsBefore + 1);
        expect(events.at(-1)).toMatchObject({ previous_status: from, current_status: expected[event].to });
        expect(after.updated_at).toBe(event === "expire" ? now - 1 : now);
        if (event === "start")
          expect(after).toMatchObject({ started_at: now, failed_at: null, failure_reason: null });
        if (event === "complete") {
          expect(after).toMatchObject({
            completed_at: now,
            sender_id: "snd_test",
            connected_account_id: "1234567890",
            connected_account_channel: "whatsapp",
            connected_account_name: "Acme Support",
          });
        }
        if (event === "fail") expect(after).toMatchObject({ failed_at: now, failure_reason: "fb_cancelled" });
        if (event === "cancel") expect(after.cancelled_at).toBe(now);
      });
    }
  }

  it("no event but expire applies to an open invitation past expiresAt", async () => {
    const { apiKey, projectId } = await createProject();
    const { id } = await createInvitation(apiKey);
    const now = Date.now() + 1_000;
    await setExpiresAt(id, now - 1);
    const stored = await invitationRow(id);
    expect(stored.status).toBe("pending");
    expect(effectiveStatus({ status: stored.status, expiresAt: stored.expires_at }, now)).toBe("expired");
    for (const event of ["start", "cancel"] as const) {
      expect(await transition(db(), { id, projectId }, inputs[event], now)).toBeNull();
    }
    await setStatus(id, "in_progress");
    for (const event of ["complete", "fail"] as const) {
      expect(await transition(db(), { id, projectId }, inputs[event], now)).toBeNull();
    }
    expect((await transition(db(), { id, projectId }, inputs.expire, now))?.status).toBe("expired");
  });

  it("a retry after failed starts afresh, and another project's id is not found", async () => {
    const { apiKey, projectId } = await createProject();
    const other = await createProject();
    const { id } = await createInvitation(apiKey);
    const now = Date.now();
    await transition(db(), { id, projectId }, inputs.start, now);
    await transition(db(), { id, projectId }, inputs.fail, now + 1);
    expect(await transition(db(), { id, projectId: other.projectId }, inputs.start, now + 2)).toBeNull();
    const retried = await transition(db(), { id, projectId }, inputs.start, now + 3);
    expect(retried).toMatchObject({
      status: "in_progress",
      startedAt: now + 3,
      failedAt: null,
      failureReason: null,
    });
    expect((await eventsOf(id)).map((e) => `${e.previous_status}>${e.current_status}`)).toEqual([
      "pending>in_progress",
      "in_progress>failed",
      "failed>in_progress",
    ]);
  });

  it("markViewed sets viewedAt once, only on a pending, unexpired invitation, without an event", async () => {
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    const now = Date.now() + 10;
    await markViewed(db(), id, now);
    await markViewed(db(), id, now + 5);
    const row = await invitationRow(id);
    expect(row.viewed_at).toBe(now);
    expect(row.status).toBe("pending");
    expect(await eventsOf(id)).toHaveLength(0);
  });
});
