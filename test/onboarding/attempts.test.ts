import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { onboardingAttempts } from "../../src/db/schema";
import worker from "../../src/index";
import { sha256Hex } from "../../src/lib/crypto";
import { FAKE_BUSINESS_ID, FAKE_PAGE, FAKE_WABA_ID, FAKE_WABA_ID_2 } from "../../src/meta/fake";
import { ATTEMPT_CAP, ATTEMPT_CAP_WINDOW_MS, ATTEMPT_QUIET_WINDOW_MS } from "../../src/onboarding/attempts";
import { ATTEMPT_MAX_AGE_MS, sweepStaleAttempts } from "../../src/onboarding/sweep";
import { createProject } from "../support/api";
import { eventsOf as allEventsOf, type EventDbRow } from "../support/db";
import { code, expectStatus, harness, newInvitation, row, sendersOf, type View } from "./support";

const db = () => createDb(env.DB);

/** The invitation's events with their failure reason (SELECT * reads every column). */
const eventsOf = async (id: string) =>
  (await allEventsOf(id)) as (EventDbRow & { failure_reason: string | null })[];

async function attemptsOf(invitationId: string) {
  return db()
    .select()
    .from(onboardingAttempts)
    .where(eq(onboardingAttempts.invitationId, invitationId))
    .orderBy(onboardingAttempts.startedAt);
}

async function attemptAt(invitationId: string, startedAt: number) {
  const [found] = await db()
    .select()
    .from(onboardingAttempts)
    .where(
      and(eq(onboardingAttempts.invitationId, invitationId), eq(onboardingAttempts.startedAt, startedAt)),
    );
  return found;
}

/** A harness on a clock the test moves. */
function clocked() {
  let now = Date.now();
  const h = harness({ now: () => now });
  return { h, advance: (ms: number) => (now += ms), now: () => now };
}

describe("the attempt belongs to the browser that started it", () => {
  it("start answers an unguessable attemptSecret, stored only as its SHA-256", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    const res = await h.post(inv.token, "start", {});
    const body = (await expectStatus(res, 200)) as View & { attemptSecret: string };
    expect(body.invitation.status).toBe("in_progress");
    expect(body.attemptSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [attempt, ...more] = await attemptsOf(inv.id);
    expect(more).toEqual([]);
    expect(attempt?.attemptSecretHash).toBe(await sha256Hex(body.attemptSecret));
    expect(JSON.stringify(attempt)).not.toContain(body.attemptSecret);
    // Two starts never share a secret.
    const other = await newInvitation(project.apiKey);
    const second = (await expectStatus(await h.post(other.token, "start", {}), 200)) as {
      attemptSecret: string;
    };
    expect(second.attemptSecret).not.toBe(body.attemptSecret);
  });

  for (const step of ["complete", "fail", "pages"] as const) {
    for (const secret of [null, "wrong", "x".repeat(43)] as const) {
      const which = secret === null ? "none" : `a wrong one of ${secret.length} characters`;
      it(`${step} without the attempt's secret (${which}): 401, nothing changes, Meta not called`, async () => {
        const h = harness();
        const project = await createProject();
        const inv = await newInvitation(
          project.apiKey,
          step === "pages" ? { connectionType: "messenger" } : {},
        );
        await h.ok(inv.token, "start", {});
        const before = await row(inv.id);
        const attemptBefore = await attemptAt(inv.id, before.startedAt ?? 0);
        const body =
          step === "complete"
            ? { code: code() }
            : step === "pages"
              ? { code: code() }
              : { reason: "signup_abandoned" };
        const res = await h.post(inv.token, step, body, { secret });
        const error = await expectStatus(res, 401, "unauthorized");
        expect(error.details).toMatchObject({ header: "X-Attempt-Secret" });
        expect(await row(inv.id)).toEqual(before);
        expect(await attemptAt(inv.id, before.startedAt ?? 0)).toEqual(attemptBefore);
        expect(h.fake.calls).toEqual([]);
        expect(await sendersOf(project.projectId)).toEqual([]);
        // The browser holding it still finishes the attempt.
        if (step === "complete") {
          expect((await h.ok(inv.token, "complete", { code: code() })).invitation.status).toBe("completed");
        }
      });
    }
  }

  it("a repeated complete after success still needs the secret", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    await h.ok(inv.token, "complete", { code: code() });
    await expectStatus(
      await h.post(inv.token, "complete", { code: code() }, { secret: null }),
      401,
      "unauthorized",
    );
    expect((await h.ok(inv.token, "complete", { code: code() })).invitation.status).toBe("completed");
  });

  it("another browser's start within the quiet window is refused with Retry-After; the owner's start restarts; after the window anyone may", async () => {
    const { h, advance } = clocked();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const first = await row(inv.id);
    const firstSecret = h.secrets.get(inv.token);

    advance(30_000);
    const refused = await h.post(inv.token, "start", {}, { secret: null });
    const error = await expectStatus(refused, 400, "invalid_state");
    expect(error.details).toMatchObject({ status: "in_progress", reason: "attempt_running" });
    expect(refused.headers.get("Retry-After")).toBe(String((ATTEMPT_QUIET_WINDOW_MS - 30_000) / 1000));
    expect(await row(inv.id)).toEqual(first);
    // A wrong secret is another browser too.
    await expectStatus(await h.post(inv.token, "start", {}, { secret: "guess" }), 400, "invalid_state");
    expect(await row(inv.id)).toEqual(first);

    // The same browser (a reload: the secret from sessionStorage) starts afresh.
    advance(1_000);
    await h.ok(inv.token, "start", {});
    const second = await row(inv.id);
    expect(second.startedAt).toBeGreaterThan(first.startedAt ?? 0);
    expect(h.secrets.get(inv.token)).not.toBe(firstSecret);
    const old = await attemptAt(inv.id, first.startedAt ?? 0);
    expect(old).toMatchObject({ outcome: "failed", failureStep: "superseded" });
    // The old secret no longer acts on the new attempt.
    await expectStatus(
      await h.post(inv.token, "fail", { reason: "fb_cancelled" }, { secret: firstSecret ?? null }),
      401,
      "unauthorized",
    );

    // Once the attempt is older than the window, another browser takes over.
    advance(ATTEMPT_QUIET_WINDOW_MS);
    const other = await h.post(inv.token, "start", {}, { secret: null });
    expect((await expectStatus(other, 200)).invitation.status).toBe("in_progress");
    const statuses = (await eventsOf(inv.id)).map((e) => `${e.previous_status}->${e.current_status}`);
    expect(statuses).toEqual([
      "pending->in_progress",
      "in_progress->failed",
      "failed->in_progress",
      "in_progress->failed",
      "failed->in_progress",
    ]);
    expect(
      (await eventsOf(inv.id)).filter((e) => e.failure_reason !== null).map((e) => e.failure_reason),
    ).toEqual(["signup_abandoned", "signup_abandoned"]);
  });

  it("starts in the same millisecond are two attempts, in order: the later owns its own, the earlier is superseded", async () => {
    const { h, now } = clocked();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const firstSecret = h.secrets.get(inv.token);
    // The clock has not moved: the same browser starts again.
    await h.ok(inv.token, "start", {});
    const attempts = await attemptsOf(inv.id);
    expect(attempts.map((a) => [a.startedAt - now(), a.outcome, a.failureStep])).toEqual([
      [0, "failed", "superseded"],
      [1, null, null],
    ]);
    expect((await row(inv.id)).startedAt).toBe(now() + 1);
    expect(attempts[1]?.attemptSecretHash).toBe(await sha256Hex(h.secrets.get(inv.token) ?? ""));
    await expectStatus(
      await h.post(inv.token, "fail", { reason: "fb_cancelled" }, { secret: firstSecret ?? null }),
      401,
      "unauthorized",
    );
    expect((await h.ok(inv.token, "complete", { code: code() })).invitation.status).toBe("completed");
    const listed = await h.call(`/v1/invitations/${inv.id}/attempts`, { apiKey: project.apiKey });
    expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(2);
  });

  it(`at most ${ATTEMPT_CAP} attempts per invitation in 24 hours, then 429 with Retry-After`, async () => {
    const { h, advance, now } = clocked();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { expiresInDays: 7 });
    const firstAt = now();
    for (let i = 0; i < ATTEMPT_CAP; i++) {
      await h.ok(inv.token, "start", {});
      advance(1_000);
    }
    const before = await row(inv.id);
    const capped = await h.post(inv.token, "start", {});
    const error = await expectStatus(capped, 429, "rate_limited");
    expect(error.details).toMatchObject({ reason: "attempt_cap", limit: ATTEMPT_CAP });
    expect(capped.headers.get("Retry-After")).toBe(String((firstAt + ATTEMPT_CAP_WINDOW_MS - now()) / 1000));
    expect(await row(inv.id)).toEqual(before);
    expect(await attemptsOf(inv.id)).toHaveLength(ATTEMPT_CAP);
    // The running attempt still works; once the oldest leaves the window, one more start is allowed.
    advance(ATTEMPT_CAP_WINDOW_MS - ATTEMPT_CAP * 1_000 + 1);
    await h.ok(inv.token, "start", {});
  });

  it("Page tokens are cleared on a failure, a restart and a cancel, not only on success", async () => {
    const { h, advance, now } = clocked();
    const project = await createProject();
    const pagesOf = async (id: string) => (await attemptsOf(id)).map((a) => a.pagesCiphertext !== null);

    const failing = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(failing.token, "start", {});
    await h.ok(failing.token, "pages", { code: code("several_pages") });
    expect(await pagesOf(failing.id)).toEqual([true]);
    await h.ok(failing.token, "fail", { reason: "fb_cancelled" });
    expect(await pagesOf(failing.id)).toEqual([false]);

    const restarted = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(restarted.token, "start", {});
    await h.ok(restarted.token, "pages", { code: code("several_pages") });
    advance(1_000);
    await h.ok(restarted.token, "start", {});
    expect(await pagesOf(restarted.id)).toEqual([false, false]);

    const cancelled = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(cancelled.token, "start", {});
    await h.ok(cancelled.token, "pages", { code: code("several_pages") });
    const cancel = await h.call(`/v1/invitations/${cancelled.id}/cancel`, {
      method: "POST",
      apiKey: project.apiKey,
    });
    expect(cancel.status).toBe(200);
    // The cron's sweep closes an attempt its invitation left, whatever its age.
    await sweepStaleAttempts(db(), now());
    expect(await pagesOf(cancelled.id)).toEqual([false]);
    expect((await attemptsOf(cancelled.id))[0]).toMatchObject({ outcome: "failed", failureStep: "closed" });

    // A failed complete (a Page the client does not have is refused before; a Meta error here).
    const completed = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(completed.token, "start", {});
    await h.ok(completed.token, "pages", { code: code() });
    await h.ok(completed.token, "complete", { pageId: FAKE_PAGE.id });
    expect(await pagesOf(completed.id)).toEqual([false]);
  });

  it(`the sweep fails attempts left running longer than ${ATTEMPT_MAX_AGE_MS / 60_000} minutes (signup_abandoned, with its event), and only those`, async () => {
    const { h, advance, now } = clocked();
    const project = await createProject();
    const stale = await newInvitation(project.apiKey);
    await h.ok(stale.token, "start", {});
    const staleAt = (await row(stale.id)).startedAt ?? 0;
    advance(ATTEMPT_MAX_AGE_MS - 60_000);
    const fresh = await newInvitation(project.apiKey);
    await h.ok(fresh.token, "start", {});
    advance(60_000);

    // (Other tests' attempts in this file's database may be swept too: their clocks moved.)
    await sweepStaleAttempts(db(), now());
    expect(await row(stale.id)).toMatchObject({ status: "failed", failureReason: "signup_abandoned" });
    expect(await attemptAt(stale.id, staleAt)).toMatchObject({ outcome: "failed", failureStep: "sweep" });
    const events = await eventsOf(stale.id);
    expect(events.map((e) => [e.current_status, e.failure_reason])).toEqual([
      ["in_progress", null],
      ["failed", "signup_abandoned"],
    ]);
    expect((await row(fresh.id)).status).toBe("in_progress");
    // Nothing left to do: a second run changes nothing.
    expect((await sweepStaleAttempts(db(), now())).failed).toBe(0);
    // The client can retry.
    expect((await h.ok(stale.token, "start", {})).invitation.status).toBe("in_progress");
  });
});

describe("the cron", () => {
  it("the Worker's scheduled handler sweeps stale attempts", async () => {
    const { h, now } = clocked();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({
        scheduledTime: new Date(now() + ATTEMPT_MAX_AGE_MS + 1),
        cron: "*/5 * * * *",
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(await row(inv.id)).toMatchObject({ status: "failed", failureReason: "signup_abandoned" });
  });
});

describe("which WABA and which business", () => {
  it("several WABAs granted and no hint from the popup: failed with meta_waba_ambiguous, nothing subscribed", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", { code: code("several_wabas"), event: "FINISH" });
    expect(done.invitation).toMatchObject({ status: "failed", failureReason: "meta_waba_ambiguous" });
    expect(h.fake.calls).toEqual(["GET /oauth/access_token", "GET /debug_token"]);
    expect(h.fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);
    expect(h.fake.isWabaSubscribed(FAKE_WABA_ID_2)).toBe(false);
  });

  it("with the popup's hint it connects that WABA; the business id is Meta's, not the browser's", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", {
      code: code("several_wabas"),
      wabaId: FAKE_WABA_ID_2,
      businessId: "999999999999999",
      event: "FINISH",
    });
    expect(done.invitation.status).toBe("completed");
    expect(h.fake.isWabaSubscribed(FAKE_WABA_ID_2)).toBe(true);
    const [sender] = await sendersOf(project.projectId);
    expect(sender).toMatchObject({ wabaId: FAKE_WABA_ID_2, businessId: FAKE_BUSINESS_ID });
  });
});
