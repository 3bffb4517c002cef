import { describe, expect, it } from "vitest";
import { FAKE_PAGE } from "../../src/meta/fake";
import { createInvitation, createProject } from "../support/api";
import { oneWindowClock } from "../support/clock";
import { code, expectStatus, type Harness, harness, row } from "./support";

const DAY = 86_400_000;
type Status = "pending" | "in_progress" | "failed" | "completed" | "cancelled" | "expired";
const STATUSES: Status[] = ["pending", "in_progress", "failed", "completed", "cancelled", "expired"];

/** A clock the test moves, and the app reading it. */
function clocked() {
  let now = Date.now();
  const h = harness({ now: () => now });
  return { h, advance: (ms: number) => (now += ms), now: () => now };
}

async function create(h: Harness, apiKey: string, body: Record<string, unknown>) {
  const res = await h.call("/v1/invitations", {
    method: "POST",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ expiresInDays: 1, ...body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { invitation: { id: string; token: string } }).invitation;
}

/** An invitation brought to `status` through the real endpoints. */
async function invitationIn(status: Status, connectionType: "whatsapp_waba" | "messenger") {
  const { h, advance } = clocked();
  const project = await createProject();
  const inv = await create(h, project.apiKey, { connectionType });
  if (status !== "pending" && status !== "cancelled" && status !== "expired")
    await h.ok(inv.token, "start", {});
  if (status === "failed") await h.ok(inv.token, "fail", { reason: "fb_cancelled" });
  if (status === "completed") {
    if (connectionType === "messenger") {
      await h.ok(inv.token, "pages", { code: code() });
      await h.ok(inv.token, "complete", { pageId: FAKE_PAGE.id });
    } else {
      await h.ok(inv.token, "complete", { code: code() });
    }
  }
  if (status === "cancelled") {
    expect(
      (await h.call(`/v1/invitations/${inv.id}/cancel`, { method: "POST", apiKey: project.apiKey })).status,
    ).toBe(200);
  }
  if (status === "expired") advance(DAY + 1);
  expect((await row(inv.id)).status).toBe(status === "expired" ? "pending" : status);
  return { h, inv, project };
}

type Expected = [number, string] | [200, Status];
const EXPECTED: Record<"start" | "fail" | "complete" | "pages", Record<Status, Expected>> = {
  // In progress: the browser that started it (this harness, its X-Attempt-Secret) restarts it;
  // another browser is refused (test/onboarding/attempts.test.ts).
  start: {
    pending: [200, "in_progress"],
    in_progress: [200, "in_progress"],
    failed: [200, "in_progress"],
    completed: [410, "gone"],
    cancelled: [410, "gone"],
    expired: [410, "gone"],
  },
  fail: {
    pending: [400, "invalid_state"],
    in_progress: [200, "failed"],
    failed: [400, "invalid_state"],
    completed: [410, "gone"],
    cancelled: [410, "gone"],
    expired: [410, "gone"],
  },
  // WhatsApp; a repeated complete after success answers the success.
  complete: {
    pending: [400, "invalid_state"],
    in_progress: [200, "completed"],
    failed: [400, "invalid_state"],
    completed: [200, "completed"],
    cancelled: [410, "gone"],
    expired: [410, "gone"],
  },
  // Messenger.
  pages: {
    pending: [400, "invalid_state"],
    in_progress: [200, "in_progress"],
    failed: [400, "invalid_state"],
    completed: [410, "gone"],
    cancelled: [410, "gone"],
    expired: [410, "gone"],
  },
};

const BODIES = {
  start: () => ({}),
  fail: () => ({ reason: "signup_abandoned" }),
  complete: () => ({ code: code() }),
  pages: () => ({ code: code() }),
};

describe("flow endpoints: every step from every status", () => {
  for (const step of ["start", "fail", "complete", "pages"] as const) {
    for (const status of STATUSES) {
      const [httpStatus, outcome] = EXPECTED[step][status];
      it(`${step} on ${status}: ${httpStatus} ${outcome}`, async () => {
        const { h, inv } = await invitationIn(status, step === "pages" ? "messenger" : "whatsapp_waba");
        const before = await row(inv.id);
        const calls = h.fake.calls.length;
        const res = await h.post(inv.token, step, BODIES[step]());
        if (httpStatus === 200) {
          const body = await expectStatus(res, 200);
          expect(body.invitation.status).toBe(outcome);
        } else {
          const body = await expectStatus(res, httpStatus, outcome);
          expect(body.details.status).toBe(status);
          // Refused: nothing changed, and Meta was not called.
          expect(await row(inv.id)).toEqual(before);
          expect(h.fake.calls.length).toBe(calls);
        }
      });
    }
  }
});

describe("flow endpoints: timestamps and reasons of each transition", () => {
  it("start sets startedAt; fail sets failedAt and the reason; start again clears them", async () => {
    const { h, advance, now } = clocked();
    const project = await createProject();
    const inv = await create(h, project.apiKey, {});
    advance(500);
    await h.ok(inv.token, "start", {});
    const started = await row(inv.id);
    expect(started.startedAt).toBe(now());
    advance(1000);
    const failed = await h.ok(inv.token, "fail", {
      reason: "internal_error",
      message: "Meta said no",
      step: "PHONE_NUMBER_SETUP",
    });
    expect(failed.invitation).toMatchObject({ status: "failed", failureReason: "internal_error" });
    const stored = await row(inv.id);
    expect(stored.failedAt).toBe((started.startedAt ?? 0) + 1000);
    advance(1000);
    await h.ok(inv.token, "start", {});
    const restarted = await row(inv.id);
    expect(restarted).toMatchObject({ status: "in_progress", failureReason: null, failedAt: null });
    expect(restarted.startedAt).toBe((started.startedAt ?? 0) + 2000);
  });

  for (const reason of ["fb_cancelled", "signup_abandoned", "fb_not_authorized", "internal_error"]) {
    it(`fail accepts ${reason}`, async () => {
      const { h } = clocked();
      const project = await createProject();
      const inv = await create(h, project.apiKey, {});
      await h.ok(inv.token, "start", {});
      const failed = await h.ok(inv.token, "fail", { reason });
      expect(failed.invitation.failureReason).toBe(reason);
      expect((await row(inv.id)).failureReason).toBe(reason);
    });
  }
});

describe("flow endpoints: refused requests", () => {
  const WELL_FORMED_UNKNOWN = "A".repeat(43);
  for (const step of ["start", "fail", "complete", "pages"] as const) {
    it(`${step}: an unknown token is a 404, well-formed or not`, async () => {
      const h = harness();
      for (const token of [WELL_FORMED_UNKNOWN, "short", "x".repeat(200)]) {
        await expectStatus(await h.post(token, step, BODIES[step]()), 404, "not_found");
      }
    });
  }

  const BAD: [string, string, unknown][] = [
    ["fail", "a reason the page may not send", { reason: "meta_no_pages" }],
    ["fail", "no reason", {}],
    ["fail", "an unknown field", { reason: "fb_cancelled", extra: 1 }],
    ["fail", "a message too long", { reason: "internal_error", message: "x".repeat(501) }],
    ["start", "an unknown field", { force: true }],
    ["complete", "no code or pageId", {}],
    ["complete", "an empty code", { code: "" }],
    ["complete", "a non-numeric waba id", { code: "c", wabaId: "../me" }],
    ["complete", "an event that is not a finish", { code: "c", event: "CANCEL" }],
    ["complete", "both bodies at once", { code: "c", pageId: "1" }],
    ["pages", "no code", {}],
    ["complete", "JSON that is not an object", [1, 2]],
  ];
  for (const [step, what, body] of BAD) {
    it(`${step} with ${what}: 400 invalid_request, nothing changes`, async () => {
      const h = harness();
      const project = await createProject();
      const { inv } = {
        inv: await create(h, project.apiKey, {
          connectionType: step === "pages" ? "messenger" : "whatsapp_waba",
        }),
      };
      await h.ok(inv.token, "start", {});
      const before = await row(inv.id);
      await expectStatus(await h.post(inv.token, step, body), 400, "invalid_request");
      expect(await row(inv.id)).toEqual(before);
      expect(h.fake.calls).toEqual([]);
    });
  }

  it("malformed JSON is a 400 and a non-JSON body a 415", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await create(h, project.apiKey, {});
    await h.ok(inv.token, "start", {});
    const malformed = await h.call(`/invite/${inv.token}/fail`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    await expectStatus(malformed, 400, "invalid_request");
    const text = await h.call(`/invite/${inv.token}/fail`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "reason=fb_cancelled",
    });
    await expectStatus(text, 415, "unsupported_media_type");
    expect((await row(inv.id)).status).toBe("in_progress");
  });

  it("start accepts an empty body", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await create(h, project.apiKey, {});
    const res = await h.post(inv.token, "start");
    expect((await expectStatus(res, 200)).invitation.status).toBe("in_progress");
  });

  it("GET on a flow endpoint is a 405", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await create(h, project.apiKey, {});
    await expectStatus(await h.call(`/invite/${inv.token}/start`), 405, "method_not_allowed");
  });

  it("the flow endpoints are rate-limited per client address, like the page", async () => {
    const h = harness({ now: oneWindowClock(), rateLimits: { perAddress: 3 } });
    const project = await createProject();
    // Made by the Worker with its usual limits: the small one is for the flow's own address (a
    // key lookup is charged to the caller's address too).
    const inv = await createInvitation(project.apiKey, {});
    const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}-${Date.now()}`;
    let secret = "";
    const from = async (step: string, body: unknown) => {
      const res = await h.call(`/invite/${inv.token}/${step}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "CF-Connecting-IP": address,
          "X-Attempt-Secret": secret,
        },
        body: JSON.stringify(body),
      });
      if (step === "start" && res.status === 200)
        secret = ((await res.clone().json()) as { attemptSecret: string }).attemptSecret;
      return res;
    };
    expect((await from("start", {})).status).toBe(200);
    expect((await from("fail", { reason: "fb_cancelled" })).status).toBe(200);
    expect((await from("start", {})).status).toBe(200);
    const limited = await from("fail", { reason: "fb_cancelled" });
    const body = await expectStatus(limited, 429, "rate_limited");
    expect(body.details.limit).toBe(3);
    expect(limited.headers.get("Retry-After")).toMatch(/^\d+$/);
    // Refused before it acted.
    expect((await row(inv.id)).status).toBe("in_progress");
  });
});
