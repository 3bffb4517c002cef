import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { onboardingAttempts } from "../../src/db/schema";
import { encodeCursor } from "../../src/invitations/cursor";
import { ATTEMPT_MAX_AGE_MS, sweepStaleAttempts } from "../../src/onboarding/sweep";
import { code, expectStatus, harness, testKeyFor } from "../onboarding/support";
import { createProject, expectError } from "../support/api";

// GET /v1/invitations/{id}/attempts: each try of the link, newest first, as recorded by the
// flow endpoints, scoped to the key's project and mode.

const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const INSTAGRAM_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 325.0.0.0";
const DESKTOP_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

type Attempt = {
  startedAt: string;
  endedAt: string | null;
  launch: string;
  deviceClass: string | null;
  outcome: string;
  failureReason: string | null;
  abandonedAtStep: string | null;
  metaErrorCode: string | null;
  metaSessionId: string | null;
};
type Page = { items: Attempt[]; nextCursor: string | null };

function clocked() {
  let now = Date.UTC(2026, 10, 2, 9, 0, 0);
  const h = harness({ now: () => now });
  return { h, advance: (ms: number) => (now += ms), at: () => now };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** An invitation with three attempts: cancelled in Meta's dialog, Meta error, completed. */
async function threeAttempts() {
  const { h, advance, at } = clocked();
  const project = await createProject();
  const created = await h.call("/v1/invitations", {
    method: "POST",
    apiKey: project.apiKey,
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  const invitation = (await expectStatus(created, 201)).invitation as { id: string; token: string };
  const startWith = async (ua: string) => {
    const res = await h.call(`/invite/${invitation.token}/start`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": ua },
      body: "{}",
    });
    const body = (await expectStatus(res, 200)) as { attemptSecret: string };
    h.secrets.set(invitation.token, body.attemptSecret);
    return at();
  };
  const t1 = await startWith(IPHONE_UA);
  advance(40_000);
  await h.ok(invitation.token, "fail", { reason: "fb_cancelled", step: "PHONE_NUMBER_SETUP" });
  const e1 = at();
  advance(60_000);
  const t2 = await startWith(INSTAGRAM_UA);
  advance(5_000);
  await h.ok(invitation.token, "fail", {
    reason: "internal_error",
    step: "WABA_CREATION",
    message: "Something went wrong",
    errorCode: "2388001",
    sessionId: "a1b2c3d4e5",
  });
  const e2 = at();
  advance(60_000);
  const t3 = await startWith(DESKTOP_UA);
  advance(7_000);
  await h.ok(invitation.token, "complete", { code: code() });
  const e3 = at();
  return { h, project, invitation, times: { t1, e1, t2, e2, t3, e3 } };
}

describe("attempts are recorded and listed newest first", () => {
  it("each attempt's start, end, launch, device class, outcome, reason, Meta step, error code and session id", async () => {
    const { h, project, invitation, times } = await threeAttempts();
    const res = await h.call(`/v1/invitations/${invitation.id}/attempts`, { apiKey: project.apiKey });
    expect(res.headers.get("X-RateLimit-Limit")).not.toBeNull();
    const body = (await expectStatus(res, 200)) as Page;
    expect(body).toEqual({
      items: [
        {
          startedAt: iso(times.t3),
          endedAt: iso(times.e3),
          launch: "popup",
          deviceClass: "desktop",
          outcome: "completed",
          failureReason: null,
          abandonedAtStep: null,
          metaErrorCode: null,
          metaSessionId: null,
        },
        {
          startedAt: iso(times.t2),
          endedAt: iso(times.e2),
          launch: "popup",
          deviceClass: "in_app_browser",
          outcome: "failed",
          failureReason: "internal_error",
          abandonedAtStep: null,
          metaErrorCode: "2388001",
          metaSessionId: "a1b2c3d4e5",
        },
        {
          startedAt: iso(times.t1),
          endedAt: iso(times.e1),
          launch: "popup",
          deviceClass: "mobile",
          outcome: "failed",
          failureReason: "fb_cancelled",
          abandonedAtStep: "PHONE_NUMBER_SETUP",
          metaErrorCode: null,
          metaSessionId: null,
        },
      ],
      nextCursor: null,
    });
    // Never the User-Agent, the token, the attempt secret or Meta's code in the stored rows.
    const rows = await createDb(env.DB)
      .select()
      .from(onboardingAttempts)
      .where(eq(onboardingAttempts.invitationId, invitation.id));
    const stored = JSON.stringify(rows);
    for (const secret of [IPHONE_UA, INSTAGRAM_UA, DESKTOP_UA, invitation.token, "Instagram", "iPhone"]) {
      expect(stored).not.toContain(secret);
    }
  });

  it("a running attempt is in_progress with no end; a step that is not an identifier is dropped", async () => {
    const { h } = clocked();
    const project = await createProject();
    const inv = (
      await expectStatus(
        await h.call("/v1/invitations", {
          method: "POST",
          apiKey: project.apiKey,
          headers: { "Content-Type": "application/json" },
          body: "{}",
        }),
        201,
      )
    ).invitation as { id: string; token: string };
    await h.ok(inv.token, "start", {});
    const running = (await expectStatus(
      await h.call(`/v1/invitations/${inv.id}/attempts`, { apiKey: project.apiKey }),
      200,
    )) as Page;
    expect(running.items.map((a) => [a.outcome, a.endedAt, a.failureReason, a.deviceClass])).toEqual([
      ["in_progress", null, null, "desktop"],
    ]);
    await h.ok(inv.token, "fail", { reason: "fb_cancelled", step: "<script>alert(1)</script>" });
    const after = (await expectStatus(
      await h.call(`/v1/invitations/${inv.id}/attempts`, { apiKey: project.apiKey }),
      200,
    )) as Page;
    expect(after.items.map((a) => [a.outcome, a.failureReason, a.abandonedAtStep])).toEqual([
      ["failed", "fb_cancelled", null],
    ]);
  });

  it("an invitation never started has no attempts: 200 with an empty page", async () => {
    const { h } = clocked();
    const project = await createProject();
    const inv = (
      await expectStatus(
        await h.call("/v1/invitations", {
          method: "POST",
          apiKey: project.apiKey,
          headers: { "Content-Type": "application/json" },
          body: "{}",
        }),
        201,
      )
    ).invitation as { id: string };
    expect(
      await expectStatus(await h.call(`/v1/invitations/${inv.id}/attempts`, { apiKey: project.apiKey }), 200),
    ).toEqual({ items: [], nextCursor: null });
  });
});

describe("every way an attempt ends records its reason", () => {
  it("a Graph error on complete (meta_code_used), the sweep of a silent one (signup_abandoned), a partner's cancel (no reason)", async () => {
    const { h, advance, at } = clocked();
    const project = await createProject();
    const create = async () =>
      (
        (await expectStatus(
          await h.call("/v1/invitations", {
            method: "POST",
            apiKey: project.apiKey,
            headers: { "Content-Type": "application/json" },
            body: "{}",
          }),
          201,
        )) as { invitation: { id: string; token: string } }
      ).invitation;
    const attempts = async (id: string) =>
      (
        (await expectStatus(
          await h.call(`/v1/invitations/${id}/attempts`, { apiKey: project.apiKey }),
          200,
        )) as Page
      ).items.map((a) => [a.outcome, a.failureReason, a.endedAt]);

    const graph = await create();
    await h.ok(graph.token, "start", {});
    advance(1_000);
    await h.ok(graph.token, "complete", { code: code("used_code") });
    expect(await attempts(graph.id)).toEqual([["failed", "meta_code_used", iso(at())]]);

    const silent = await create();
    await h.ok(silent.token, "start", {});
    const sweptAt = at() + ATTEMPT_MAX_AGE_MS + 1;
    await sweepStaleAttempts(createDb(env.DB), sweptAt);
    expect(await attempts(silent.id)).toEqual([["failed", "signup_abandoned", iso(sweptAt)]]);

    const cancelled = await create();
    await h.ok(cancelled.token, "start", {});
    advance(1_000);
    await expectStatus(
      await h.call(`/v1/invitations/${cancelled.id}/cancel`, { method: "POST", apiKey: project.apiKey }),
      200,
    );
    // The invitation left the attempt: it runs on until the flow or the sweep ends it, reasonless.
    expect(await attempts(cancelled.id)).toEqual([["in_progress", null, null]]);
  });
});

describe("attempt pages", () => {
  it("limit=1 walks the three attempts newest first, then nextCursor is null", async () => {
    const { h, project, invitation, times } = await threeAttempts();
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 3; i++) {
      const query: string = cursor === null ? "?limit=1" : `?limit=1&cursor=${encodeURIComponent(cursor)}`;
      const page = (await expectStatus(
        await h.call(`/v1/invitations/${invitation.id}/attempts${query}`, { apiKey: project.apiKey }),
        200,
      )) as Page;
      expect(page.items).toHaveLength(1);
      seen.push(page.items[0]?.startedAt ?? "");
      cursor = page.nextCursor;
      expect(cursor === null).toBe(i === 2);
    }
    expect(seen).toEqual([iso(times.t3), iso(times.t2), iso(times.t1)]);
  });

  it("a cursor is bound to its invitation, its list, its project and its mode: otherwise 400", async () => {
    const { h, project, invitation } = await threeAttempts();
    const first = (await expectStatus(
      await h.call(`/v1/invitations/${invitation.id}/attempts?limit=1`, { apiKey: project.apiKey }),
      200,
    )) as Page;
    const cursor = encodeURIComponent(first.nextCursor ?? "");
    // Another invitation of the same project.
    const other = (
      await expectStatus(
        await h.call("/v1/invitations", {
          method: "POST",
          apiKey: project.apiKey,
          headers: { "Content-Type": "application/json" },
          body: "{}",
        }),
        201,
      )
    ).invitation as { id: string };
    await expectError(
      await h.call(`/v1/invitations/${other.id}/attempts?cursor=${cursor}`, { apiKey: project.apiKey }),
      400,
      "invalid_request",
    );
    // The invitations list refuses it, and the attempts list refuses the invitations list's.
    await expectError(
      await h.call(`/v1/invitations?cursor=${cursor}`, { apiKey: project.apiKey }),
      400,
      "invalid_request",
    );
    const tenant = { projectId: project.projectId, mode: "live" as const };
    const position = { createdAt: Date.now(), id: invitation.id };
    const listCursor = await encodeCursor(env.TOKEN_HASH_KEY, tenant, position, "invitations");
    await expectError(
      await h.call(`/v1/invitations/${invitation.id}/attempts?cursor=${encodeURIComponent(listCursor)}`, {
        apiKey: project.apiKey,
      }),
      400,
      "invalid_request",
    );
    // The same position signed for the test mode of the project, or edited.
    const testCursor = await encodeCursor(
      env.TOKEN_HASH_KEY,
      { ...tenant, mode: "test" },
      position,
      "attempts",
    );
    await expectError(
      await h.call(`/v1/invitations/${invitation.id}/attempts?cursor=${encodeURIComponent(testCursor)}`, {
        apiKey: project.apiKey,
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await h.call(`/v1/invitations/${invitation.id}/attempts?cursor=${cursor}x`, { apiKey: project.apiKey }),
      400,
      "invalid_request",
    );
  });
});

describe("attempts are the invitation's project's and mode's", () => {
  it("another project's key, the same project's test key, an unknown id: 404 not_found as get answers", async () => {
    const { h, project, invitation } = await threeAttempts();
    const stranger = await createProject();
    const testKey = await testKeyFor(project.projectId);
    for (const [apiKey, id] of [
      [stranger.apiKey, invitation.id],
      [testKey, invitation.id],
      [project.apiKey, "inv_doesnotexist000000000000"],
    ] as const) {
      const get = await expectError(await h.call(`/v1/invitations/${id}`, { apiKey }), 404, "not_found");
      const attempts = await expectError(
        await h.call(`/v1/invitations/${id}/attempts`, { apiKey }),
        404,
        "not_found",
      );
      expect(attempts.message).toBe(get.message);
    }
  });

  it("is in /openapi.json with its schema", async () => {
    const { h } = clocked();
    const doc = (await (await h.call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths["/v1/invitations/{invitationId}/attempts"]?.get?.operationId).toBe(
      "listInvitationAttempts",
    );
    expect(doc.components.schemas.InvitationAttempt).toBeDefined();
  });
});
