import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { onboardingAttempts } from "../../src/db/schema";
import {
  createFakeMeta,
  FAKE_PHONE_NUMBER_ID,
  FAKE_VERIFICATION_CODE,
  FAKE_WABA_ID,
  type FakeMeta,
} from "../../src/meta/fake";
import {
  CODE_GUESS_LIMIT,
  CODE_RESEND_WAIT_MS,
  NUMBER_QUIET_WINDOW_MS,
  NUMBER_STEP_MAX_AGE_MS,
} from "../../src/onboarding/number";
import { ATTEMPT_MAX_AGE_MS, sweepStaleAttempts } from "../../src/onboarding/sweep";
import { createProject } from "../support/api";
import { code, expectStatus, harness, newInvitation, row, sendersOf, type View } from "./support";

type Reply = View & {
  invitation: View["invitation"] & { onboardingStep: string | null };
  problem: { code: string; retryAfter: number | null } | null;
};

const ADDED_ID = "400034612345678";

/** The app with a clock the test moves, and a fake of Meta whose answers a test may replace. */
function clocked(fake: FakeMeta = createFakeMeta()) {
  let now = Date.now();
  const h = harness({ now: () => now, fake });
  return { h, fake, advance: (ms: number) => (now += ms), now: () => now };
}

/** A fake whose answer to `METHOD /path` is replaced by a Graph error while `armed`. */
function faulty(call: string, status: number, code: number, subcode?: number) {
  const fake = createFakeMeta();
  const state = { armed: true };
  const fetch = async (request: Request) => {
    const path = new URL(request.url).pathname.replace(/^\/v\d+\.\d+/, "");
    if (state.armed && `${request.method} ${path}` === call) {
      fake.calls.push(`${request.method} ${path}`);
      return Response.json(
        {
          error: {
            message: `Simulated (#${code})`,
            type: "OAuthException",
            code,
            ...(subcode ? { error_subcode: subcode } : {}),
            error_data: { messaging_product: "whatsapp", details: "Simulated" },
            fbtrace_id: "FakeTrace",
          },
        },
        { status },
      );
    }
    return fake.fetch(request);
  };
  return { fake: { ...fake, fetch } as FakeMeta, state };
}

async function attemptOf(invitationId: string) {
  const [found] = await createDb(env.DB)
    .select()
    .from(onboardingAttempts)
    .where(and(eq(onboardingAttempts.invitationId, invitationId)));
  return found;
}

async function parked(h: ReturnType<typeof harness>, scenario: "unverified" | "no_phone_number", body = {}) {
  const project = await createProject();
  const inv = await newInvitation(project.apiKey, body);
  await h.ok(inv.token, "start", {});
  const view = await h.ok<Reply>(inv.token, "complete", { code: code(scenario), event: "FINISH" });
  return { project, inv, view };
}

describe("Embedded Signup v4: a number not verified is verified on the page", () => {
  it("complete parks the attempt (in_progress, verifying_number); the code is sent, a wrong one is refused, the right one registers and completes", async () => {
    const { h, fake } = clocked();
    const { project, inv, view } = await parked(h, "unverified");
    expect(view.invitation).toMatchObject({ status: "in_progress", onboardingStep: "verifying_number" });
    // Subscribed, not registered: Meta refuses to register a number that is not verified.
    expect(fake.calls).toEqual([
      "GET /oauth/access_token",
      "GET /debug_token",
      `GET /${FAKE_WABA_ID}/phone_numbers`,
      `GET /${FAKE_WABA_ID}`,
      `POST /${FAKE_WABA_ID}/subscribed_apps`,
    ]);
    // The partner sees the step.
    const partner = await h.call(`/v1/invitations/${inv.id}`, { apiKey: project.apiKey });
    expect(((await partner.json()) as { invitation: Record<string, unknown> }).invitation).toMatchObject({
      status: "in_progress",
      onboardingStep: "verifying_number",
      failureReason: null,
    });
    // The business token waits sealed on the attempt, never in clear.
    const attempt = await attemptOf(inv.id);
    expect(attempt?.numberStep).toBe("verifying_number");
    expect(attempt?.numberCiphertext).toMatch(/^v\d+\./);
    expect(attempt?.numberCiphertext).not.toContain("EAAFake");

    const sent = await h.ok<Reply>(inv.token, "request-code", { method: "VOICE", language: "es" });
    expect(sent.problem).toBeNull();
    expect(fake.sentCode(FAKE_PHONE_NUMBER_ID)).toEqual({ method: "VOICE", language: "es" });

    const wrong = await h.ok<Reply>(inv.token, "verify-code", { code: "000000" });
    expect(wrong.problem).toEqual({ code: "code_incorrect", retryAfter: null });
    expect(wrong.invitation).toMatchObject({ status: "in_progress", onboardingStep: "verifying_number" });
    expect((await attemptOf(inv.id))?.codeGuesses).toBe(1);

    const done = await h.ok<Reply>(inv.token, "verify-code", { code: FAKE_VERIFICATION_CODE });
    expect(done.problem).toBeNull();
    expect(done.invitation).toMatchObject({
      status: "completed",
      onboardingStep: null,
      connectedAccount: { id: FAKE_PHONE_NUMBER_ID, phoneNumber: "+14155550100" },
    });
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(1);
    expect(fake.registeredPin(FAKE_PHONE_NUMBER_ID)).toMatch(/^\d{6}$/);
    const [sender] = await sendersOf(project.projectId);
    // The WABA's funding, read before the attempt parked, travels in its sealed state.
    expect(sender).toMatchObject({
      providerAccountId: FAKE_PHONE_NUMBER_ID,
      wabaId: FAKE_WABA_ID,
      wabaFunded: true,
    });
    expect(sender?.registeredAt).not.toBeNull();
    const after = await attemptOf(inv.id);
    expect(after).toMatchObject({ outcome: "completed", registration: "registered", numberCiphertext: null });
    const again = await h.call(`/v1/invitations/${inv.id}`, { apiKey: project.apiKey });
    expect(((await again.json()) as { invitation: Record<string, unknown> }).invitation).toMatchObject({
      status: "completed",
      onboardingStep: null,
    });
  });

  it("one code a minute; five wrong codes, then a new code is needed; a new code resets the count", async () => {
    const { h, fake, advance } = clocked();
    const { inv } = await parked(h, "unverified");
    expect((await h.ok<Reply>(inv.token, "request-code", { method: "SMS" })).problem).toBeNull();
    expect(fake.sentCode(FAKE_PHONE_NUMBER_ID)).toEqual({ method: "SMS", language: "en_US" });
    advance(20_000);
    const soon = await h.ok<Reply>(inv.token, "request-code", { method: "SMS" });
    expect(soon.problem).toEqual({
      code: "code_resend_wait",
      retryAfter: (CODE_RESEND_WAIT_MS - 20_000) / 1000,
    });
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/request_code`)).toBe(1);

    for (let i = 0; i < CODE_GUESS_LIMIT; i++) {
      const wrong = await h.ok<Reply>(inv.token, "verify-code", { code: "111111" });
      expect(wrong.problem?.code).toBe("code_incorrect");
    }
    const limited = await h.ok<Reply>(inv.token, "verify-code", { code: FAKE_VERIFICATION_CODE });
    expect(limited.problem).toEqual({ code: "code_guess_limited", retryAfter: null });
    expect(limited.invitation.status).toBe("in_progress");
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`)).toBe(CODE_GUESS_LIMIT);

    advance(CODE_RESEND_WAIT_MS);
    expect((await h.ok<Reply>(inv.token, "request-code", { method: "SMS" })).problem).toBeNull();
    const done = await h.ok<Reply>(inv.token, "verify-code", { code: FAKE_VERIFICATION_CODE });
    expect(done.invitation.status).toBe("completed");
  });

  it("the number calls need the attempt's secret (401, nothing changes) and the right step (400 not_in_step)", async () => {
    const { h, fake } = clocked();
    const { inv } = await parked(h, "unverified");
    const calls = fake.calls.length;
    for (const [step, body] of [
      ["request-code", { method: "SMS" }],
      ["verify-code", { code: FAKE_VERIFICATION_CODE }],
      ["add-number", { countryCode: "34", phoneNumber: "612345678", displayName: "Acme" }],
    ] as const) {
      const res = await h.post(inv.token, step, body, { secret: null });
      const error = await expectStatus(res, 401, "unauthorized");
      expect(error.details).toMatchObject({ header: "X-Attempt-Secret" });
      await expectStatus(
        await h.post(inv.token, step, body, { secret: "x".repeat(43) }),
        401,
        "unauthorized",
      );
    }
    expect(fake.calls.length).toBe(calls);
    const wrongStep = await expectStatus(
      await h.post(inv.token, "add-number", {
        countryCode: "34",
        phoneNumber: "612345678",
        displayName: "Acme",
      }),
      400,
      "invalid_state",
    );
    expect(wrongStep.details).toMatchObject({
      status: "in_progress",
      reason: "not_in_step",
      onboardingStep: "verifying_number",
    });
    await expectStatus(await h.post(inv.token, "verify-code", { code: "12345" }), 400, "invalid_request");
    await expectStatus(await h.post(inv.token, "request-code", { method: "FAX" }), 400, "invalid_request");
    expect(fake.calls.length).toBe(calls);
    expect((await attemptOf(inv.id))?.codeGuesses).toBe(0);

    // A verified number never enters the step.
    const project = await createProject();
    const plain = await newInvitation(project.apiKey);
    await h.ok(plain.token, "start", {});
    await expectStatus(await h.post(plain.token, "request-code", { method: "SMS" }), 400, "invalid_state");
  });

  it("another browser cannot take over an attempt waiting for its code for 10 minutes after its last call", async () => {
    const { h, advance } = clocked();
    const { inv } = await parked(h, "unverified");
    advance(5 * 60_000);
    await h.ok<Reply>(inv.token, "request-code", { method: "SMS" });
    advance(NUMBER_QUIET_WINDOW_MS - 60_000);
    const refused = await h.post(inv.token, "start", {}, { secret: null });
    const body = await expectStatus(refused, 400, "invalid_state");
    expect(body.details).toMatchObject({ status: "in_progress", reason: "attempt_running" });
    expect(refused.headers.get("Retry-After")).toBe("60");
    advance(60_000);
    const taken = await h.post(inv.token, "start", {}, { secret: null });
    expect(taken.status).toBe(200);
    expect((await row(inv.id)).onboardingStep).toBeNull();
    // The given-up attempt lost its sealed token.
    const attempts = await createDb(env.DB)
      .select()
      .from(onboardingAttempts)
      .where(eq(onboardingAttempts.invitationId, inv.id))
      .orderBy(onboardingAttempts.startedAt);
    expect(attempts.map((a) => [a.outcome, a.failureStep, a.numberCiphertext])).toEqual([
      ["failed", "superseded", null],
      [null, null, null],
    ]);
  });

  it("two right codes at once (a double submit): one registers, both answer completed", async () => {
    const { h, fake } = clocked();
    const { project, inv } = await parked(h, "unverified");
    await h.ok<Reply>(inv.token, "request-code", { method: "SMS" });
    const replies = await Promise.all(
      [1, 2].map(() => h.ok<Reply>(inv.token, "verify-code", { code: FAKE_VERIFICATION_CODE })),
    );
    // Seen: both completed (the loser of the finish claim waited for the winner's outcome).
    expect(replies.map((r) => r.invitation.status)).toEqual(["completed", "completed"]);
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(1);
    expect(await sendersOf(project.projectId)).toHaveLength(1);
  });

  it("a number the window named that is not in the WABA still fails with meta_no_phone_number", async () => {
    const { h } = clocked();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok<Reply>(inv.token, "complete", {
      code: code("no_phone_number"),
      phoneNumberId: "999999999999",
    });
    expect(done.invitation).toMatchObject({
      status: "failed",
      failureReason: "meta_no_phone_number",
      onboardingStep: null,
    });
  });
});

describe("Embedded Signup v4: no number, one is added on the page", () => {
  it("adding_number: the invitation's checks, then POST /<waba>/phone_numbers, then the code, then completed", async () => {
    const { h, fake } = clocked();
    const { project, inv, view } = await parked(h, "no_phone_number", { allowedPhoneCountries: ["ES"] });
    expect(view.invitation).toMatchObject({ status: "in_progress", onboardingStep: "adding_number" });

    const us = await h.ok<Reply>(inv.token, "add-number", {
      countryCode: "1",
      phoneNumber: "4155550142",
      displayName: "Acme Corp",
    });
    expect(us.problem).toEqual({ code: "phone_country_not_allowed", retryAfter: null });
    expect(fake.count(`POST /${FAKE_WABA_ID}/phone_numbers`)).toBe(0);

    const added = await h.ok<Reply>(inv.token, "add-number", {
      countryCode: "34",
      phoneNumber: "612345678",
      displayName: "Acme Corp",
    });
    expect(added.problem).toBeNull();
    expect(added.invitation).toMatchObject({ status: "in_progress", onboardingStep: "verifying_number" });
    expect(fake.calls.slice(-2)).toEqual([`POST /${FAKE_WABA_ID}/phone_numbers`, `GET /${ADDED_ID}`]);

    await h.ok<Reply>(inv.token, "request-code", { method: "SMS", language: "pt" });
    expect(fake.sentCode(ADDED_ID)).toEqual({ method: "SMS", language: "pt_BR" });
    const done = await h.ok<Reply>(inv.token, "verify-code", { code: FAKE_VERIFICATION_CODE });
    expect(done.invitation).toMatchObject({
      status: "completed",
      connectedAccount: { id: ADDED_ID, channel: "whatsapp", name: "Acme Corp", phoneNumber: "+34612345678" },
    });
    const [sender] = await sendersOf(project.projectId);
    expect(sender).toMatchObject({
      providerAccountId: ADDED_ID,
      phoneNumber: "+34612345678",
      wabaFunded: true,
    });
    expect(fake.count(`POST /${ADDED_ID}/register`)).toBe(1);
  });
});

describe("each Graph error of the number calls is a problem to mend, or the attempt's failure", () => {
  const PROBLEMS: [string, string, number, number, string, number | null][] = [
    // [call, step, HTTP status, Meta code, problem, retryAfter seconds]
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 400, 136024, "code_request_limited", 3600],
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 400, 80007, "meta_rate_limited", 3600],
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 400, 4, "meta_rate_limited", 300],
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 500, 2, "meta_unavailable", 30],
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 400, 100, "number_rejected", null],
    [`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`, "verify-code", 400, 136025, "code_incorrect", null],
    [`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`, "verify-code", 400, 100, "code_incorrect", null],
    [`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`, "verify-code", 400, 80008, "meta_rate_limited", 3600],
    [`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`, "verify-code", 400, 613, "meta_rate_limited", 300],
    [`POST /${FAKE_WABA_ID}/phone_numbers`, "add-number", 400, 100, "number_invalid", null],
    [`POST /${FAKE_WABA_ID}/phone_numbers`, "add-number", 400, 131009, "number_rejected", null],
    [`POST /${FAKE_WABA_ID}/phone_numbers`, "add-number", 400, 80007, "meta_rate_limited", 3600],
    [`POST /${FAKE_WABA_ID}/phone_numbers`, "add-number", 503, 1, "meta_unavailable", 30],
  ];
  const BODIES: Record<string, unknown> = {
    "request-code": { method: "SMS" },
    "verify-code": { code: FAKE_VERIFICATION_CODE },
    "add-number": { countryCode: "34", phoneNumber: "612345678", displayName: "Acme Corp" },
  };
  for (const [call, step, status, metaCode, problem, retryAfter] of PROBLEMS) {
    it(`${step}: Meta ${metaCode} (HTTP ${status}) -> problem ${problem}, retryAfter ${retryAfter}`, async () => {
      const { fake, state } = faulty(call, status, metaCode);
      const { h, advance } = clocked(fake);
      const { inv } = await parked(h, step === "add-number" ? "no_phone_number" : "unverified");
      if (step === "verify-code") await h.ok<Reply>(inv.token, "request-code", { method: "SMS" });
      const before = await attemptOf(inv.id);
      const res = await h.ok<Reply>(inv.token, step, BODIES[step]);
      expect(res.problem).toEqual({ code: problem, retryAfter });
      expect(res.invitation).toMatchObject({ status: "in_progress", failureReason: null });
      expect(res.invitation.onboardingStep).toBe(before?.numberStep);
      expect(fake.count(call)).toBe(1);
      if (retryAfter !== null) {
        // Meta asked to wait: nothing goes to Meta until then, and the page is told how long.
        state.armed = false;
        advance(10_000);
        const waiting = await h.ok<Reply>(inv.token, step, BODIES[step]);
        expect(waiting.problem).toEqual({ code: "retry_later", retryAfter: retryAfter - 10 });
        expect(fake.count(call)).toBe(1);
        advance(retryAfter * 1000);
      } else {
        state.armed = false;
      }
      // Never a dead end: once it passes, the same call goes through.
      const retried = await h.ok<Reply>(inv.token, step, BODIES[step]);
      expect(retried.problem).toBeNull();
    });
  }

  const FAILURES: [string, string, number, number, string][] = [
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 401, 190, "meta_token_invalid"],
    [`POST /${FAKE_PHONE_NUMBER_ID}/request_code`, "request-code", 403, 200, "meta_permission_missing"],
    [`POST /${FAKE_PHONE_NUMBER_ID}/verify_code`, "verify-code", 401, 190, "meta_token_invalid"],
    [`POST /${FAKE_WABA_ID}/phone_numbers`, "add-number", 403, 10, "meta_permission_missing"],
  ];
  for (const [call, step, status, metaCode, reason] of FAILURES) {
    it(`${step}: Meta ${metaCode} -> the attempt fails with ${reason}`, async () => {
      const { fake } = faulty(call, status, metaCode);
      const { h } = clocked(fake);
      const { inv } = await parked(h, step === "add-number" ? "no_phone_number" : "unverified");
      const res = await h.ok<Reply>(inv.token, step, BODIES[step]);
      expect(res.problem).toBeNull();
      expect(res.invitation).toMatchObject({ status: "failed", failureReason: reason, onboardingStep: null });
      expect(await attemptOf(inv.id)).toMatchObject({
        outcome: "failed",
        failureStep: step.replace("-", "_").replace("add_number", "add_phone_number"),
        numberCiphertext: null,
      });
    });
  }

  it("the fake's own limits: a 4th code request in an hour is 136024; register before verify_code is 133006", async () => {
    const { h, fake, advance } = clocked();
    const { inv } = await parked(h, "unverified");
    for (let i = 0; i < 3; i++) {
      expect((await h.ok<Reply>(inv.token, "request-code", { method: "SMS" })).problem).toBeNull();
      advance(CODE_RESEND_WAIT_MS);
    }
    const limited = await h.ok<Reply>(inv.token, "request-code", { method: "SMS" });
    expect(limited.problem).toEqual({ code: "code_request_limited", retryAfter: 3600 });
    // Meta's side directly: an unverified number cannot be registered.
    const token = (await fake
      .fetch(
        new Request(
          `https://graph.test/v23.0/oauth/access_token?client_id=${fake.appId}&client_secret=${fake.appSecret}&code=${code("unverified")}`,
        ),
      )
      .then((r) => r.json())) as { access_token: string };
    const res = await fake.fetch(
      new Request(`https://graph.test/v23.0/${FAKE_PHONE_NUMBER_ID}/register`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token.access_token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ messaging_product: "whatsapp", pin: "123456" }),
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(133006);
  });
});

describe("the sweep and the number step", () => {
  it(`an attempt waiting for its code is kept past ${ATTEMPT_MAX_AGE_MS / 60_000} minutes and failed ${NUMBER_STEP_MAX_AGE_MS / 3_600_000} hours after its step began (number_not_verified; number_not_added)`, async () => {
    const { h, advance, now } = clocked();
    const db = createDb(env.DB);
    const verifying = await parked(h, "unverified");
    const adding = await parked(h, "no_phone_number");
    advance(ATTEMPT_MAX_AGE_MS + 60_000);
    await sweepStaleAttempts(db, now());
    expect(await row(verifying.inv.id)).toMatchObject({
      status: "in_progress",
      onboardingStep: "verifying_number",
    });
    expect(await row(adding.inv.id)).toMatchObject({
      status: "in_progress",
      onboardingStep: "adding_number",
    });
    advance(NUMBER_STEP_MAX_AGE_MS);
    await sweepStaleAttempts(db, now());
    expect(await row(verifying.inv.id)).toMatchObject({
      status: "failed",
      failureReason: "number_not_verified",
    });
    expect(await row(adding.inv.id)).toMatchObject({ status: "failed", failureReason: "number_not_added" });
    expect(await attemptOf(verifying.inv.id)).toMatchObject({
      outcome: "failed",
      failureStep: "sweep",
      numberCiphertext: null,
    });
  });
});
