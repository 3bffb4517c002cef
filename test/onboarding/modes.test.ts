import { describe, expect, it } from "vitest";
import { createFakeMeta, FAKE_PHONE_NUMBER_ID } from "../../src/meta/fake";
import { createProject } from "../support/api";
import { code, expectStatus, harness, row, testKeyFor, type View } from "./support";

const LIVE = { appId: "4242424242", appSecret: "live-app-secret" };
const META_ENV = {
  META_APP_ID: LIVE.appId,
  META_APP_SECRET: LIVE.appSecret,
  META_CONFIG_ID: "777",
  META_GRAPH_URL: "https://graph.meta.example",
  META_GRAPH_VERSION: "v21.0",
};

/** Meta configured: live invitations go to `live` (a second fake, standing for Meta) by URL. */
function configured(env: Partial<Env> = META_ENV) {
  const live = createFakeMeta(LIVE);
  const urls: string[] = [];
  const h = harness({
    env,
    meta: {
      liveFetch: async (request) => {
        urls.push(request.url.split("?")[0] ?? "");
        return live.fetch(request);
      },
    },
  });
  return { h, live, urls };
}

async function createWith(h: ReturnType<typeof harness>, apiKey: string, body: Record<string, unknown> = {}) {
  const res = await h.call("/v1/invitations", {
    method: "POST",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { invitation: { id: string; token: string } }).invitation;
}

describe("live mode and test mode", () => {
  it("Meta configured, a live key: the calls go to META_GRAPH_URL/META_GRAPH_VERSION with the app's id, never to the fake", async () => {
    const { h, live, urls } = configured();
    const project = await createProject();
    const inv = await createWith(h, project.apiKey);
    const started = await h.ok(inv.token, "start", {});
    expect(started.invitation.testMode).toBe(false);
    const done = await h.ok(inv.token, "complete", { code: live.issueCode() });
    expect(done.invitation.status).toBe("completed");
    expect(urls[0]).toBe("https://graph.meta.example/v21.0/oauth/access_token");
    expect(urls.every((u) => u.startsWith("https://graph.meta.example/v21.0/"))).toBe(true);
    expect(live.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(1);
    expect(h.fake.calls).toEqual([]);
    expect((await row(inv.id)).mode).toBe("live");
  });

  it("Meta configured, a test key (zv_test_…): test mode, the fake only, never Meta", async () => {
    const { h, urls } = configured();
    const project = await createProject();
    const testKey = await testKeyFor(project.projectId);
    expect(testKey).toMatch(/^zv_test_[0-9A-Za-z]{48}$/);
    const inv = await createWith(h, testKey, { clientName: "Test client" });
    expect((await row(inv.id)).mode).toBe("test");
    const started = await h.ok(inv.token, "start", {});
    expect(started.invitation.testMode).toBe(true);
    const done = await h.ok<View>(inv.token, "complete", { code: code() });
    expect(done.invitation.status).toBe("completed");
    expect(h.fake.count("GET /oauth/access_token")).toBe(1);
    expect(urls).toEqual([]);
    // The test key reads it; the project's live key does not see test rows at all.
    const read = await h.call(`/v1/invitations/${inv.id}`, { apiKey: testKey });
    expect(((await read.json()) as { invitation: { status: string } }).invitation.status).toBe("completed");
    expect((await h.call(`/v1/invitations/${inv.id}`, { apiKey: project.apiKey })).status).toBe(404);
  });

  it("Meta not configured (META_APP_ID empty): every invitation is test mode, live fetch never used", async () => {
    const { h, urls } = configured({ META_APP_ID: "" });
    const project = await createProject();
    const inv = await createWith(h, project.apiKey);
    expect((await h.ok(inv.token, "start", {})).invitation.testMode).toBe(true);
    expect((await h.ok(inv.token, "complete", { code: code() })).invitation.status).toBe("completed");
    expect(urls).toEqual([]);
    expect(h.fake.count("GET /oauth/access_token")).toBe(1);
  });

  it("a live invitation on a Worker without META_APP_SECRET fails as internal_error, never a 5xx", async () => {
    const { h, urls } = configured({ ...META_ENV, META_APP_SECRET: "" });
    const project = await createProject();
    const inv = await createWith(h, project.apiKey);
    await h.ok(inv.token, "start", {});
    const res = await h.post(inv.token, "complete", { code: "anything" });
    const body = (await expectStatus(res, 200)) as View;
    expect(body.invitation).toMatchObject({ status: "failed", failureReason: "internal_error" });
    expect(urls).toEqual([]);
  });

  it("test keys authenticate like live keys, and a revoked one is refused", async () => {
    const h = harness();
    const project = await createProject();
    const testKey = await testKeyFor(project.projectId);
    const list = await h.call("/v1/invitations", { apiKey: testKey });
    expect(list.status).toBe(200);
    await expectStatus(
      await h.call("/v1/invitations", { apiKey: `zv_test_${"A".repeat(48)}` }),
      401,
      "unauthorized",
    );
    await expectStatus(
      await h.call("/v1/invitations", { apiKey: `zv_demo_${"A".repeat(48)}` }),
      401,
      "unauthorized",
    );
  });
});
