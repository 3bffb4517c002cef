import { env, exports } from "cloudflare:workers";
import Zavudev, { NotFoundError } from "@zavudev/sdk";
import { describe, expect, it } from "vitest";
import { testKeyFor } from "../onboarding/support";
import { connect } from "../senders/support";
import { BASE, call, createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { invitationRow } from "../support/db";

// Test and live are two worlds: a key reaches only rows of its own mode, and another mode's id
// is a 404 exactly as another project's (docs/security.md, "Test and live").

type Item = { id: string; status: string };
type Page = { items: Item[]; nextCursor: string | null };

async function page(apiKey: string, query = ""): Promise<Page> {
  const res = await call(`/v1/invitations${query}`, { apiKey });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

async function senderPage(apiKey: string, query = ""): Promise<Page> {
  const res = await call(`/v1/senders${query}`, { apiKey });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

/** A project with its live key and a test key. */
async function bothKeys() {
  const project = await createProject();
  return { ...project, liveKey: project.apiKey, testKey: await testKeyFor(project.projectId) };
}

const cancel = (apiKey: string, id: string) =>
  call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey });

describe("invitations: a key reaches its own mode only", () => {
  it("a test key cannot get a live invitation, nor a live key a test one: 404 not_found, as an unknown id", async () => {
    const { liveKey, testKey } = await bothKeys();
    const live = await createInvitation(liveKey);
    const test = await createInvitation(testKey);
    expect((await invitationRow(live.id)).mode).toBe("live");
    expect((await invitationRow(test.id)).mode).toBe("test");

    const unknown = await expectError(
      await call("/v1/invitations/inv_doesnotexist", { apiKey: testKey }),
      404,
      "not_found",
    );
    const crossed = await expectError(
      await call(`/v1/invitations/${live.id}`, { apiKey: testKey }),
      404,
      "not_found",
    );
    expect(crossed.message).toBe(unknown.message);
    await expectError(await call(`/v1/invitations/${test.id}`, { apiKey: liveKey }), 404, "not_found");
    // Each key still reads its own.
    expect((await call(`/v1/invitations/${live.id}`, { apiKey: liveKey })).status).toBe(200);
    expect((await call(`/v1/invitations/${test.id}`, { apiKey: testKey })).status).toBe(200);
  });

  it("each key's list holds exactly its own mode's invitations, with and without a status filter", async () => {
    const { liveKey, testKey } = await bothKeys();
    const live = [await createInvitation(liveKey), await createInvitation(liveKey)];
    const test = [await createInvitation(testKey)];
    expect((await page(liveKey)).items.map((i) => i.id)).toEqual([live[1]?.id, live[0]?.id]);
    expect((await page(testKey)).items.map((i) => i.id)).toEqual([test[0]?.id]);
    expect((await page(testKey, "?status=pending")).items.map((i) => i.id)).toEqual([test[0]?.id]);
    expect((await page(liveKey, "?status=pending")).items.map((i) => i.id)).toEqual([
      live[1]?.id,
      live[0]?.id,
    ]);
  });

  it("a test key cannot cancel a live invitation, nor a live key a test one: 404, and nothing changes", async () => {
    const { liveKey, testKey } = await bothKeys();
    const live = await createInvitation(liveKey);
    const test = await createInvitation(testKey);
    const liveBefore = await invitationRow(live.id);
    const testBefore = await invitationRow(test.id);
    await expectError(await cancel(testKey, live.id), 404, "not_found");
    await expectError(await cancel(liveKey, test.id), 404, "not_found");
    // Also with an Idempotency-Key (the cancel's other path).
    const keyed = (apiKey: string, id: string) =>
      call(`/v1/invitations/${id}/cancel`, {
        method: "POST",
        apiKey,
        headers: { "Idempotency-Key": `x-${id}` },
      });
    await expectError(await keyed(testKey, live.id), 404, "not_found");
    await expectError(await keyed(liveKey, test.id), 404, "not_found");
    expect(await invitationRow(live.id)).toEqual(liveBefore);
    expect(await invitationRow(test.id)).toEqual(testBefore);
    // Each key cancels its own.
    expect((await cancel(liveKey, live.id)).status).toBe(200);
    expect((await cancel(testKey, test.id)).status).toBe(200);
    expect((await invitationRow(live.id)).status).toBe("cancelled");
  });

  it("the same Idempotency-Key and body with the live key then the test key: two invitations, no replay across modes", async () => {
    const { liveKey, testKey, projectId } = await bothKeys();
    const post = (apiKey: string) =>
      call("/v1/invitations", {
        method: "POST",
        apiKey,
        headers: { "Content-Type": "application/json", "Idempotency-Key": "same-key" },
        body: JSON.stringify({ clientName: "Same body" }),
      });
    const first = await post(liveKey);
    expect(first.status).toBe(201);
    const second = await post(testKey);
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    const live = ((await first.json()) as { invitation: Item }).invitation;
    const test = ((await second.json()) as { invitation: Item }).invitation;
    expect(test.id).not.toBe(live.id);
    expect((await invitationRow(live.id)).mode).toBe("live");
    expect((await invitationRow(test.id)).mode).toBe("test");
    // Each mode replays its own answer.
    const again = await post(testKey);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as { invitation: Item }).invitation.id).toBe(test.id);
    const { results } = await env.DB.prepare(
      "SELECT mode FROM idempotency_keys WHERE project_id = ? AND key = 'same-key' ORDER BY mode",
    )
      .bind(projectId)
      .all<{ mode: string }>();
    expect(results.map((r) => r.mode)).toEqual(["live", "test"]);
  });
});

describe("cursors are bound to the key's mode", () => {
  it("a live cursor presented with the test key, and a test cursor with the live key, are 400 invalid_request", async () => {
    const { liveKey, testKey } = await bothKeys();
    for (let i = 0; i < 2; i++) {
      await createInvitation(liveKey);
      await createInvitation(testKey);
    }
    const liveCursor = (await page(liveKey, "?limit=1")).nextCursor;
    const testCursor = (await page(testKey, "?limit=1")).nextCursor;
    if (!liveCursor || !testCursor) throw new Error("expected a second page in each mode");
    const q = (cursor: string) => `/v1/invitations?limit=1&cursor=${encodeURIComponent(cursor)}`;
    const refused = await expectError(await call(q(liveCursor), { apiKey: testKey }), 400, "invalid_request");
    expect(refused.details?.fields).toEqual({ cursor: "Pass nextCursor from a previous page unchanged" });
    await expectError(await call(q(testCursor), { apiKey: liveKey }), 400, "invalid_request");
    // In its own mode each goes on to the second page.
    expect((await page(liveKey, `?limit=1&cursor=${encodeURIComponent(liveCursor)}`)).items).toHaveLength(1);
    expect((await page(testKey, `?limit=1&cursor=${encodeURIComponent(testCursor)}`)).items).toHaveLength(1);
  });

  it("a senders cursor of the other mode is 400 too", async () => {
    const { liveKey, testKey } = await bothKeys();
    for (const number of ["+14155550201", "+14155550202"]) {
      await connect(liveKey, { number });
      await connect(testKey, { number });
    }
    const liveCursor = (await senderPage(liveKey, "?limit=1")).nextCursor;
    const testCursor = (await senderPage(testKey, "?limit=1")).nextCursor;
    if (!liveCursor || !testCursor) throw new Error("expected a second page in each mode");
    const q = (cursor: string) => `/v1/senders?limit=1&cursor=${encodeURIComponent(cursor)}`;
    await expectError(await call(q(liveCursor), { apiKey: testKey }), 400, "invalid_request");
    await expectError(await call(q(testCursor), { apiKey: liveKey }), 400, "invalid_request");
    expect(
      (await senderPage(liveKey, `?limit=1&cursor=${encodeURIComponent(liveCursor)}`)).items,
    ).toHaveLength(1);
  });
});

describe("senders: one per project, mode, channel and account", () => {
  it("the same number connected in live and in test makes two senders; neither overwrites the other, and each key sees only its own", async () => {
    const { liveKey, testKey, projectId } = await bothKeys();
    const number = "+14155550199";
    const liveConnection = await connect(liveKey, { number });
    const rowsAfterLive = await env.DB.prepare("SELECT * FROM senders WHERE project_id = ?")
      .bind(projectId)
      .all<Record<string, unknown>>();
    const [liveBefore] = rowsAfterLive.results;
    if (!liveBefore) throw new Error("no live sender");
    const testConnection = await connect(testKey, { number });

    const { results } = await env.DB.prepare(
      "SELECT id, mode, provider_account_id, invitation_id, phone_number FROM senders WHERE project_id = ? ORDER BY mode",
    )
      .bind(projectId)
      .all<{
        id: string;
        mode: string;
        provider_account_id: string;
        invitation_id: string;
        phone_number: string;
      }>();
    expect(results.map((r) => [r.mode, r.invitation_id, r.phone_number])).toEqual([
      ["live", liveConnection.invitationId, number],
      ["test", testConnection.invitationId, number],
    ]);
    const [live, test] = results as [(typeof results)[number], (typeof results)[number]];
    expect(live.provider_account_id).toBe(test.provider_account_id);
    expect(live.id).not.toBe(test.id);
    // The live row is exactly as its own connection left it.
    const liveNow = await env.DB.prepare("SELECT * FROM senders WHERE id = ?").bind(live.id).first();
    expect(liveNow).toEqual(liveBefore);

    expect((await call(`/v1/senders/${live.id}`, { apiKey: liveKey })).status).toBe(200);
    expect((await call(`/v1/senders/${test.id}`, { apiKey: testKey })).status).toBe(200);
    await expectError(await call(`/v1/senders/${live.id}`, { apiKey: testKey }), 404, "not_found");
    await expectError(await call(`/v1/senders/${test.id}`, { apiKey: liveKey }), 404, "not_found");
    expect((await senderPage(liveKey)).items.map((s) => s.id)).toEqual([live.id]);
    expect((await senderPage(testKey)).items.map((s) => s.id)).toEqual([test.id]);
  });
});

describe("rate limits: test and live have separate budgets", () => {
  it("a test key at its project's limit leaves the live key its whole budget, and the other way round", async () => {
    const t0 = Date.UTC(2030, 0, 3, 12, 0, 10);
    const fetchApp = appWith({ now: () => t0, rateLimits: { perProject: 2 } });
    const { liveKey, testKey } = await bothKeys();
    for (const remaining of ["1", "0"]) {
      const res = await fetchApp("/v1/invitations", { apiKey: testKey });
      expect(res.status).toBe(200);
      expect(res.headers.get("X-RateLimit-Remaining")).toBe(remaining);
    }
    await expectError(await fetchApp("/v1/invitations", { apiKey: testKey }), 429, "rate_limited");
    const live = await fetchApp("/v1/invitations", { apiKey: liveKey });
    expect(live.status).toBe(200);
    expect(live.headers.get("X-RateLimit-Remaining")).toBe("1");
    expect((await fetchApp("/v1/invitations", { apiKey: liveKey })).status).toBe(200);
    await expectError(await fetchApp("/v1/invitations", { apiKey: liveKey }), 429, "rate_limited");
    await expectError(await fetchApp("/v1/invitations", { apiKey: testKey }), 429, "rate_limited");
  });
});

describe("the official client (@zavudev/sdk) with a test key", () => {
  const client = (apiKey: string) =>
    new Zavudev({
      apiKey,
      baseURL: BASE,
      maxRetries: 0,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });

  it("lists only test invitations, and a live invitation's id is NotFoundError", async () => {
    const { liveKey, testKey } = await bothKeys();
    const live = await createInvitation(liveKey);
    const zavu = client(testKey);
    const mine = [
      (await zavu.invitations.create({ clientName: "Test 1" })).invitation,
      (await zavu.invitations.create({ clientName: "Test 2" })).invitation,
    ];
    const listed: string[] = [];
    for await (const invitation of zavu.invitations.list({ limit: 1 })) listed.push(invitation.id);
    expect(listed).toEqual([mine[1]?.id, mine[0]?.id]);
    await expect(zavu.invitations.retrieve(live.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(zavu.invitations.cancel(live.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await zavu.invitations.retrieve(mine[0]?.id ?? "")).invitation.id).toBe(mine[0]?.id);
    // And the live key's client does not see the test ones.
    const liveListed: string[] = [];
    for await (const invitation of client(liveKey).invitations.list()) liveListed.push(invitation.id);
    expect(liveListed).toEqual([live.id]);
  });
});
