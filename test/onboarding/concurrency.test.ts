import { describe, expect, it } from "vitest";
import { createFakeMeta, FAKE_PAGE, FAKE_PHONE_NUMBER_ID, type FakeMeta } from "../../src/meta/fake";
import { createProject } from "../support/api";
import { code, expectStatus, harness, newInvitation, row, sendersOf, type View } from "./support";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fake of Meta, answering each request after `ms` (so concurrent calls overlap at Meta). */
function slowFake(ms: number): FakeMeta {
  const fake = createFakeMeta();
  return {
    ...fake,
    fetch: async (request) => {
      await sleep(ms);
      return fake.fetch(request);
    },
  };
}

/** The fake of Meta, holding `call` until the test releases it. */
function gatedFake(call: string) {
  const fake = createFakeMeta();
  let release: () => void = () => {};
  let reached: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const gated: FakeMeta = {
    ...fake,
    fetch: async (request) => {
      const path = new URL(request.url).pathname.replace(/^\/v\d+\.\d+/, "");
      if (`${request.method} ${path}` === call) {
        reached();
        await gate;
      }
      return fake.fetch(request);
    },
  };
  return { fake: gated, release, arrived };
}

describe("safe twice: double clicks, reloads, two tabs", () => {
  it("two concurrent completes with the same code: one exchange, one sender, both 200 with the outcome", async () => {
    const h = harness({ fake: slowFake(30), meta: { waitMs: 10_000 } });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const theCode = code();
    const [a, b] = await Promise.all([
      h.post(inv.token, "complete", { code: theCode }),
      h.post(inv.token, "complete", { code: theCode }),
    ]);
    const [bodyA, bodyB] = [(await expectStatus(a, 200)) as View, (await expectStatus(b, 200)) as View];
    expect(bodyA).toEqual(bodyB);
    expect(bodyA.invitation.status).toBe("completed");
    expect(h.fake.count("GET /oauth/access_token")).toBe(1);
    expect(h.fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(1);
    expect(await sendersOf(project.projectId)).toHaveLength(1);
  });

  it("five concurrent completes with different codes (two tabs): one exchange, the same answer", async () => {
    const h = harness({ fake: slowFake(20), meta: { waitMs: 10_000 } });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => h.post(inv.token, "complete", { code: code() })),
    );
    const bodies = await Promise.all(responses.map((r) => expectStatus(r, 200)));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(h.fake.count("GET /oauth/access_token")).toBe(1);
    expect(await sendersOf(project.projectId)).toHaveLength(1);
  });

  it("a repeated complete after completion answers the same 200 without calling Meta", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const first = await h.ok(inv.token, "complete", { code: code() });
    const calls = h.fake.calls.length;
    const again = await h.ok(inv.token, "complete", { code: code() });
    expect(again).toEqual(first);
    expect(h.fake.calls.length).toBe(calls);
  });

  it("a repeated complete after a failed complete answers the failure (not invalid_state)", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const first = await h.ok(inv.token, "complete", { code: code("register_limit") });
    const again = await h.ok(inv.token, "complete", { code: code() });
    expect(again).toEqual(first);
    expect(h.fake.count("GET /oauth/access_token")).toBe(1);
  });

  it("Messenger: concurrent pages exchange once and list the same Pages; concurrent completes subscribe once", async () => {
    const h = harness({ fake: slowFake(20), meta: { waitMs: 10_000 } });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(inv.token, "start", {});
    const theCode = code();
    const listed = await Promise.all([
      h.post(inv.token, "pages", { code: theCode }),
      h.post(inv.token, "pages", { code: theCode }),
    ]);
    const [p1, p2] = await Promise.all(listed.map((r) => expectStatus(r, 200)));
    expect(p1).toEqual(p2);
    expect(p1.pages).toEqual([{ id: FAKE_PAGE.id, name: FAKE_PAGE.name }]);
    expect(h.fake.count("GET /me/accounts")).toBe(1);

    const done = await Promise.all([
      h.post(inv.token, "complete", { pageId: FAKE_PAGE.id }),
      h.post(inv.token, "complete", { pageId: FAKE_PAGE.id }),
    ]);
    const [d1, d2] = await Promise.all(done.map((r) => expectStatus(r, 200)));
    expect(d1).toEqual(d2);
    expect(d1.invitation.status).toBe("completed");
    expect(h.fake.count(`POST /${FAKE_PAGE.id}/subscribed_apps`)).toBe(1);
    expect(await sendersOf(project.projectId)).toHaveLength(1);
  });
});

describe("the partner's cancel and the link's expiry during a connection", () => {
  it("cancelled mid-flow: complete answers 410, no sender, the invitation stays cancelled", async () => {
    const gated = gatedFake(`POST /${FAKE_PHONE_NUMBER_ID}/register`);
    const h = harness({ fake: gated.fake });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const completing = h.post(inv.token, "complete", { code: code() });
    await gated.arrived;
    const cancel = await h.call(`/v1/invitations/${inv.id}/cancel`, {
      method: "POST",
      apiKey: project.apiKey,
    });
    expect(cancel.status).toBe(200);
    gated.release();
    const body = await expectStatus(await completing, 410, "gone");
    expect(body.details.status).toBe("cancelled");
    expect(await sendersOf(project.projectId)).toEqual([]);
    expect(await row(inv.id)).toMatchObject({
      status: "cancelled",
      senderId: null,
      connectedAccountId: null,
    });
    // And every later step is a 410 too.
    await expectStatus(await h.post(inv.token, "complete", { code: code() }), 410, "gone");
    await expectStatus(await h.post(inv.token, "start", {}), 410, "gone");
  });

  it("abandoned and restarted mid-flow: the old attempt's late answer does not decide the new one", async () => {
    const gated = gatedFake(`POST /${FAKE_PHONE_NUMBER_ID}/register`);
    const h = harness({ fake: gated.fake });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const late = h.post(inv.token, "complete", { code: code() });
    await gated.arrived;
    await h.ok(inv.token, "fail", { reason: "signup_abandoned" });
    await new Promise((resolve) => setTimeout(resolve, 2));
    await h.ok(inv.token, "start", {});
    gated.release();
    const body = (await expectStatus(await late, 200)) as View;
    expect(body.invitation.status).toBe("in_progress");
    expect(await sendersOf(project.projectId)).toEqual([]);
  });

  it("expired during Meta's calls: complete answers 410 and no sender is made", async () => {
    const gated = gatedFake(`POST /${FAKE_PHONE_NUMBER_ID}/register`);
    let now = Date.now();
    const h = harness({ fake: gated.fake, now: () => now });
    const project = await createProject();
    const created = await h.call("/v1/invitations", {
      method: "POST",
      apiKey: project.apiKey,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ expiresInDays: 1 }),
    });
    const inv = ((await created.json()) as { invitation: { id: string; token: string } }).invitation;
    await h.ok(inv.token, "start", {});
    const completing = h.post(inv.token, "complete", { code: code() });
    await gated.arrived;
    now += 86_400_000;
    gated.release();
    const body = await expectStatus(await completing, 410, "gone");
    expect(body.details.status).toBe("expired");
    expect(await sendersOf(project.projectId)).toEqual([]);
    expect((await row(inv.id)).senderId).toBeNull();
  });
});
