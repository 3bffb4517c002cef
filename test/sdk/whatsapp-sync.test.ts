import { env } from "cloudflare:workers";
import { BadRequestError } from "@zavudev/sdk";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { createFakeMeta, FAKE_PHONE_NUMBER_ID } from "../../src/meta/fake";
import { connected } from "../senders/support";
import { createProject } from "../support/api";
import { appWith } from "../support/app";
import { sdkOn } from "./support";

// senders.whatsappSync through the official client: Meta's `smb_app_data` for coexistence
// numbers, once per kind, within 24 hours of the connection (src/senders/sync.ts).

/** An app with its own fake of Meta and a clock the test moves. */
function setup() {
  const fake = createFakeMeta();
  const clock = { now: Date.now() };
  const app = appWith({ meta: { fake }, now: () => clock.now });
  return { fake, clock, app };
}

beforeEach(async () => {
  await createDb(env.DB).delete(senders);
});

const HOUR = 3_600_000;

describe("@zavudev/sdk 0.57.0: senders.whatsappSync", () => {
  it("a coexistence number: retrieve, then each sync once; Meta gets exactly one smb_app_data per kind", async () => {
    const { fake, clock, app } = setup();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const sender = await connected(app, project.apiKey, project.projectId, { scenario: "coexistence" });
    expect(sender.providerAccountId).toBe(FAKE_PHONE_NUMBER_ID);
    const connectedAt = clock.now;

    expect(await zavu.senders.whatsappSync.retrieve(sender.id)).toEqual({
      sync: {
        isCoexistence: true,
        status: "active",
        contacts: { canSync: true, status: "not_requested", requestedAt: null },
        history: { canSync: true, status: "not_requested", requestedAt: null, completedAt: null },
      },
    });

    clock.now = connectedAt + 23 * HOUR;
    const at = new Date(clock.now).toISOString();
    expect(await zavu.senders.whatsappSync.startContactsSync(sender.id)).toEqual({
      message: "Contacts sync initiated",
      sync: {
        isCoexistence: true,
        status: "active",
        contacts: { canSync: false, status: "pending", requestedAt: at },
        history: { canSync: true, status: "not_requested", requestedAt: null, completedAt: null },
      },
    });
    expect(fake.smbSyncRequests(FAKE_PHONE_NUMBER_ID)).toEqual(["smb_app_state_sync"]);

    const again = await zavu.senders.whatsappSync.startContactsSync(sender.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(BadRequestError);
    expect((again as BadRequestError).message).toContain("already requested");

    const history = await zavu.senders.whatsappSync.startHistorySync(sender.id);
    expect(history.message).toBe("History sync initiated");
    expect(history.sync.history).toEqual({
      canSync: false,
      status: "pending",
      requestedAt: at,
      completedAt: null,
    });
    expect(fake.smbSyncRequests(FAKE_PHONE_NUMBER_ID)).toEqual(["smb_app_state_sync", "history"]);
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/smb_app_data`)).toBe(2);
  });

  it("Meta's 24-hour window: refused once it has passed, before Meta is called", async () => {
    const { fake, clock, app } = setup();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const sender = await connected(app, project.apiKey, project.projectId, { scenario: "coexistence" });
    clock.now += 24 * HOUR;
    for (const start of [
      zavu.senders.whatsappSync.startContactsSync,
      zavu.senders.whatsappSync.startHistorySync,
    ]) {
      const error = await start.call(zavu.senders.whatsappSync, sender.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).message).toContain("within 24 hours");
    }
    const { sync } = await zavu.senders.whatsappSync.retrieve(sender.id);
    expect([sync.contacts.canSync, sync.history.canSync, sync.isCoexistence]).toEqual([false, false, true]);
    expect(fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/smb_app_data`)).toBe(0);
  });

  it("a number not on the WhatsApp Business app: isCoexistence false, starts refused, Meta never asked", async () => {
    const { fake, app } = setup();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const sender = await connected(app, project.apiKey, project.projectId, { number: "+14155550901" });
    const { sync } = await zavu.senders.whatsappSync.retrieve(sender.id);
    expect(sync).toEqual({
      isCoexistence: false,
      status: "active",
      contacts: { canSync: false, status: "not_requested", requestedAt: null },
      history: { canSync: false, status: "not_requested", requestedAt: null, completedAt: null },
    });
    const error = await zavu.senders.whatsappSync.startHistorySync(sender.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toContain("not on the WhatsApp Business app");
    expect(fake.calls.filter((c) => c.endsWith("/smb_app_data"))).toEqual([]);
  });

  it("a Messenger sender, and a sender no longer active: clear 400s", async () => {
    const { fake, app } = setup();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const page = await connected(app, project.apiKey, project.projectId, { messenger: true });
    const callsBefore = fake.calls.length;
    for (const op of [
      () => zavu.senders.whatsappSync.retrieve(page.id),
      () => zavu.senders.whatsappSync.startContactsSync(page.id),
      () => zavu.senders.whatsappSync.startHistorySync(page.id),
    ]) {
      const error = await op().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).message).toContain("Facebook Page (Messenger)");
    }
    expect(fake.calls.length).toBe(callsBefore);

    const coexistence = await connected(app, project.apiKey, project.projectId, { scenario: "coexistence" });
    await createDb(env.DB)
      .update(senders)
      .set({ status: "disconnected" })
      .where(eq(senders.id, coexistence.id));
    const error = await zavu.senders.whatsappSync.startContactsSync(coexistence.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toContain("disconnected");
  });
});
