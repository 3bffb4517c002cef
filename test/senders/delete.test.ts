import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { createFakeMeta, FAKE_PAGE, FAKE_WABA_ID, type FakeMeta } from "../../src/meta/fake";
import { findPin } from "../../src/onboarding/pins";
import { testKeyFor } from "../onboarding/support";
import { createProject, expectError } from "../support/api";
import { connected, defaults, patch, rowsOf, withFake } from "./support";

// Storage is this file's own: every test starts without senders, so that whether another sender
// shares the fake's one WABA is up to the test.
beforeEach(async () => {
  await createDb(env.DB).delete(senders);
});

describe("DELETE /v1/senders/{senderId}", () => {
  it("WhatsApp: unsubscribes the app from the WABA, forgets the sender and its token, keeps the PIN and the registration", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550311" });
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(true);
    const pin = await findPin(createDb(env.DB), row.providerAccountId);
    expect(pin).toBeDefined();

    const res = await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey: project.apiKey });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: row.id, deleted: true });
    expect(fake.count(`DELETE /${FAKE_WABA_ID}/subscribed_apps`)).toBe(1);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);
    // Never deregistered: the number stays on WhatsApp.
    expect(fake.calls.filter((c) => c.includes("deregister"))).toEqual([]);
    expect(fake.registeredPin(row.providerAccountId)).toBeDefined();
    expect(await findPin(createDb(env.DB), row.providerAccountId)).toEqual(pin);
    expect(await rowsOf(project.projectId)).toEqual([]);
    await expectError(await app(`/v1/senders/${row.id}`, { apiKey: project.apiKey }), 404, "not_found");
    await expectError(
      await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey: project.apiKey }),
      404,
      "not_found",
    );
  });

  it("keeps the WABA subscribed while another sender here uses it; the last one unsubscribes", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const first = await connected(app, project.apiKey, project.projectId, { number: "+14155550312" });
    const second = await connected(app, project.apiKey, project.projectId, { number: "+14155550313" });
    expect([first.wabaId, second.wabaId]).toEqual([FAKE_WABA_ID, FAKE_WABA_ID]);
    expect((await app(`/v1/senders/${first.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(
      200,
    );
    expect(fake.count(`DELETE /${FAKE_WABA_ID}/subscribed_apps`)).toBe(0);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(true);
    expect((await app(`/v1/senders/${second.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(
      200,
    );
    expect(fake.count(`DELETE /${FAKE_WABA_ID}/subscribed_apps`)).toBe(1);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);
  });

  it("Messenger: unsubscribes the app from the Page with the Page token", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { messenger: true });
    expect(fake.pageSubscribedFields(FAKE_PAGE.id)).toBeDefined();
    expect((await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(
      200,
    );
    expect(fake.count(`DELETE /${FAKE_PAGE.id}/subscribed_apps`)).toBe(1);
    expect(fake.pageSubscribedFields(FAKE_PAGE.id)).toBeUndefined();
    expect(await rowsOf(project.projectId)).toEqual([]);
  });

  it("deleting the default makes the oldest remaining sender the default; deleting another leaves it", async () => {
    const { app } = withFake();
    const project = await createProject();
    const a = await connected(app, project.apiKey, project.projectId, { number: "+14155550314" });
    const b = await connected(app, project.apiKey, project.projectId, { number: "+14155550315" });
    const c = await connected(app, project.apiKey, project.projectId, { messenger: true });
    expect((await patch(app, project.apiKey, c.id, { setAsDefault: true })).status).toBe(200);
    expect((await app(`/v1/senders/${a.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(200);
    expect(defaults(await rowsOf(project.projectId))).toEqual([c.id]);
    expect((await app(`/v1/senders/${c.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(200);
    expect(defaults(await rowsOf(project.projectId))).toEqual([b.id]);
  });

  it("another project's or mode's sender is a 404 and nothing reaches Meta", async () => {
    const { app, fake } = withFake();
    const owner = await createProject();
    const other = await createProject();
    const row = await connected(app, owner.apiKey, owner.projectId, { number: "+14155550316" });
    const calls = fake.calls.length;
    for (const apiKey of [other.apiKey, await testKeyFor(owner.projectId)]) {
      await expectError(await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey }), 404, "not_found");
    }
    expect(fake.calls.length).toBe(calls);
    expect(await rowsOf(owner.projectId)).toEqual([row]);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(true);
  });

  it("Meta unreachable: 500, nothing deleted, and a retry finishes; access already revoked: deleted anyway", async () => {
    const real = createFakeMeta();
    let answer: "down" | "revoked" | "ok" = "down";
    const fake: FakeMeta = {
      ...real,
      fetch: async (request) => {
        if (request.method !== "DELETE" || answer === "ok") return real.fetch(request);
        return answer === "down"
          ? Response.json({ error: { message: "Service temporarily unavailable", code: 2 } }, { status: 503 })
          : Response.json(
              { error: { message: "Error validating access token", code: 190 } },
              { status: 401 },
            );
      },
    };
    const { app } = withFake(fake);
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550317" });
    const error = await expectError(
      await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey: project.apiKey }),
      500,
      "internal_error",
    );
    expect(error.message).toMatch(/Meta could not be reached/);
    expect(await rowsOf(project.projectId)).toEqual([row]);
    answer = "ok";
    expect((await app(`/v1/senders/${row.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(
      200,
    );
    expect(real.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);

    answer = "revoked";
    const again = await connected(app, project.apiKey, project.projectId, { messenger: true });
    expect((await app(`/v1/senders/${again.id}`, { method: "DELETE", apiKey: project.apiKey })).status).toBe(
      200,
    );
    expect(await rowsOf(project.projectId)).toEqual([]);
  });
});
