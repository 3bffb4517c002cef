import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { createFakeMeta, FAKE_FUNDING_ID, FAKE_PHONE_NUMBER_ID, FAKE_WABA_ID } from "../../src/meta/fake";
import { createProject } from "../support/api";
import { connect, connected, getSender, rowsOf, withFake } from "./support";

// `whatsapp.paymentStatus`: whether the WABA had a funding source (Graph's primary_funding_id)
// when the sender last connected, read with the owner in the one `GET /<waba>` call.

const FUNDED = { setupStatus: "COMPLETE", methodStatus: "VALID", canSendTemplates: true };
const NOT_FUNDED = { setupStatus: "NOT_STARTED", methodStatus: "NONE", canSendTemplates: false };

describe("whatsapp.paymentStatus", () => {
  it("a WABA with a funding source: COMPLETE, VALID, true; the funding id itself is neither stored nor answered", async () => {
    const { app } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550601" });
    expect(row.wabaFunded).toBe(true);
    expect(JSON.stringify(row)).not.toContain(FAKE_FUNDING_ID);
    const res = await app(`/v1/senders/${row.id}`, { apiKey: project.apiKey });
    const text = await res.text();
    expect(text).not.toContain(FAKE_FUNDING_ID);
    expect(JSON.parse(text).whatsapp).toEqual({
      displayPhoneNumber: "+1 415-555-0601",
      phoneNumberId: row.providerAccountId,
      qualityRating: null,
      messagingLimitTier: null,
      nameStatus: null,
      paymentStatus: FUNDED,
    });
  });

  it("a WABA without one (no primary_funding_id): NOT_STARTED, NONE, false, in the list too", async () => {
    const { app } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { scenario: "no_funding" });
    expect(row.wabaFunded).toBe(false);
    expect((await getSender(app, project.apiKey, row.id)).whatsapp).toEqual({
      displayPhoneNumber: "+1 415-555-0100",
      phoneNumberId: row.providerAccountId,
      qualityRating: null,
      messagingLimitTier: null,
      nameStatus: null,
      paymentStatus: NOT_FUNDED,
    });
    const list = (await (await app("/v1/senders", { apiKey: project.apiKey })).json()) as {
      items: { whatsapp?: { paymentStatus?: unknown } }[];
    };
    expect(list.items.map((s) => s.whatsapp?.paymentStatus)).toEqual([NOT_FUNDED]);
  });

  it("asks for primary_funding_id in the one GET /<waba> it already made: no Graph call more", async () => {
    const fake = createFakeMeta();
    const urls: string[] = [];
    const spy = {
      ...fake,
      fetch: (request: Request) => {
        urls.push(request.url);
        return fake.fetch(request);
      },
    };
    const { app } = withFake(spy);
    const project = await createProject();
    await connected(app, project.apiKey, project.projectId, { scenario: "no_funding" });
    expect(fake.calls).toEqual([
      "GET /oauth/access_token",
      "GET /debug_token",
      `GET /${FAKE_WABA_ID}/phone_numbers`,
      `GET /${FAKE_WABA_ID}`,
      `POST /${FAKE_WABA_ID}/subscribed_apps`,
      `POST /${FAKE_PHONE_NUMBER_ID}/register`,
    ]);
    const waba = urls.filter((u) => new URL(u).pathname.endsWith(`/${FAKE_WABA_ID}`));
    expect(waba.map((u) => new URL(u).searchParams.get("fields"))).toEqual([
      "id,owner_business_info,primary_funding_id",
    ]);
  });

  it("a Messenger sender has no whatsapp, so no paymentStatus; nothing is stored for it", async () => {
    const { app } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { messenger: true });
    expect(row.wabaFunded).toBeNull();
    const sender = await getSender(app, project.apiKey, row.id);
    expect(sender.channels).toEqual(["messenger"]);
    expect(Object.hasOwn(sender, "whatsapp")).toBe(false);
  });

  it("a sender connected before it was read (waba_funded null, as drizzle/0014 leaves them): no paymentStatus", async () => {
    const { app } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550602" });
    await createDb(env.DB).update(senders).set({ wabaFunded: null }).where(eq(senders.id, row.id));
    expect((await getSender(app, project.apiKey, row.id)).whatsapp).toEqual({
      displayPhoneNumber: "+1 415-555-0602",
      phoneNumberId: row.providerAccountId,
      qualityRating: null,
      messagingLimitTier: null,
      nameStatus: null,
    });
  });

  it("a reconnect of the number refreshes it, on the same sender, either way", async () => {
    const { app } = withFake();
    const project = await createProject();
    const row = await connected(app, project.apiKey, project.projectId);
    const status = async () =>
      ((await getSender(app, project.apiKey, row.id)).whatsapp as { paymentStatus?: unknown }).paymentStatus;
    expect(await status()).toEqual(FUNDED);
    await connect(project.apiKey, { app, scenario: "no_funding" });
    expect(await status()).toEqual(NOT_FUNDED);
    await connect(project.apiKey, { app });
    expect(await status()).toEqual(FUNDED);
    // A sender from before the column learns it at its next connection.
    await createDb(env.DB).update(senders).set({ wabaFunded: null }).where(eq(senders.id, row.id));
    await connect(project.apiKey, { app, scenario: "no_funding" });
    expect(await status()).toEqual(NOT_FUNDED);
    expect((await rowsOf(project.projectId)).map((r) => [r.id, r.wabaFunded])).toEqual([[row.id, false]]);
  });
});
