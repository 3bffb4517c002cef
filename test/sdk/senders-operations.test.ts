import { env } from "cloudflare:workers";
import { BadRequestError, NotFoundError } from "@zavudev/sdk";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { FAKE_WABA_ID } from "../../src/meta/fake";
import { PNG } from "../senders/images";
import { connected, defaults, rowsOf, withFake } from "../senders/support";
import { createProject } from "../support/api";
import { sdkOn } from "./support";

/** The official client, configured as a partner would, into `app` (an app with its own fake of Meta). */
// Storage is this file's own: each test starts without senders (none shares the fake's WABA).
beforeEach(async () => {
  await createDb(env.DB).delete(senders);
});

describe("@zavudev/sdk 0.57.0: senders.update and senders.delete", () => {
  it("update renames and moves the default; the SDK's other-product fields are a BadRequestError", async () => {
    const { app } = withFake();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const first = await connected(app, project.apiKey, project.projectId, { number: "+14155550401" });
    const second = await connected(app, project.apiKey, project.projectId, { messenger: true });

    const renamed = await zavu.senders.update(second.id, { name: "Shop Page", setAsDefault: true });
    expect(renamed).toMatchObject({
      id: second.id,
      name: "Shop Page",
      isDefault: true,
      channels: ["messenger"],
    });
    expect((await zavu.senders.retrieve(first.id)).isDefault).toBe(false);
    expect(defaults(await rowsOf(project.projectId))).toEqual([second.id]);
    const listed = [];
    for await (const sender of zavu.senders.list()) listed.push([sender.id, sender.isDefault]);
    expect(listed).toEqual([
      [second.id, true],
      [first.id, false],
    ]);

    const before = await rowsOf(project.projectId);
    for (const params of [
      { emailAddress: "noreply@example.com" },
      { enableSmsOneway: true },
      { enableVoice: true },
      { webhookUrl: "https://example.com/hook" },
    ]) {
      const error = await zavu.senders.update(first.id, params).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).message).toMatch(/not offered/);
    }
    expect(await rowsOf(project.projectId)).toEqual(before);
    await expect(
      sdkOn(app, (await createProject()).apiKey).senders.update(first.id, { name: "x" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("delete resolves, unsubscribes the app and the sender is gone; again is NotFoundError", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550402" });
    // The SDK types delete as void; this service answers 200 { id, deleted: true }.
    await expect(zavu.senders.delete(row.id)).resolves.toEqual({ id: row.id, deleted: true });
    await expect(zavu.senders.retrieve(row.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(zavu.senders.delete(row.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.count(`DELETE /${FAKE_WABA_ID}/subscribed_apps`)).toBe(1);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);
  });
});

describe("@zavudev/sdk 0.57.0: the WhatsApp Business profile", () => {
  it("getProfile, updateProfile and uploadProfilePicture answer the SDK's shapes", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const zavu = sdkOn(app, project.apiKey);
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550403" });

    const read = await zavu.senders.getProfile(row.id);
    expect(read).toEqual({
      profile: { about: "Hey there! I am using WhatsApp.", vertical: "UNDEFINED", websites: [] },
    });

    const updated = await zavu.senders.updateProfile(row.id, {
      about: "Succulent specialists!",
      description: "We specialize in providing high-quality succulents.",
      email: "contact@example.com",
      vertical: "RETAIL",
      websites: ["https://www.example.com"],
    });
    expect(updated).toEqual({
      success: true,
      profile: {
        about: "Succulent specialists!",
        description: "We specialize in providing high-quality succulents.",
        email: "contact@example.com",
        vertical: "RETAIL",
        websites: ["https://www.example.com"],
      },
    });

    const pictured = await zavu.senders.uploadProfilePicture(row.id, {
      imageUrl: `${inject("imageServerOrigin")}/png`,
      mimeType: "image/png",
    });
    expect(pictured.success).toBe(true);
    expect(pictured.profile).toMatchObject({
      ...updated.profile,
      profilePictureUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(fake.profilePicture(row.providerAccountId)).toEqual({ type: "image/png", bytes: PNG });

    const tooLong = await zavu.senders
      .updateProfile(row.id, { about: "a".repeat(140) })
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(BadRequestError);
    const wrongBytes = await zavu.senders
      .uploadProfilePicture(row.id, {
        imageUrl: `${inject("imageServerOrigin")}/png`,
        mimeType: "image/jpeg",
      })
      .catch((e: unknown) => e);
    expect(wrongBytes).toBeInstanceOf(BadRequestError);
  });

  it("a Messenger sender's profile is a BadRequestError; another project's a NotFoundError", async () => {
    const { app } = withFake();
    const project = await createProject();
    const page = await connected(app, project.apiKey, project.projectId, { messenger: true });
    const zavu = sdkOn(app, project.apiKey);
    await expect(zavu.senders.getProfile(page.id)).rejects.toBeInstanceOf(BadRequestError);
    await expect(zavu.senders.updateProfile(page.id, { about: "x" })).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      zavu.senders.uploadProfilePicture(page.id, {
        imageUrl: "https://example.com/x.png",
        mimeType: "image/png",
      }),
    ).rejects.toBeInstanceOf(BadRequestError);
    const other = sdkOn(app, (await createProject()).apiKey);
    await expect(other.senders.getProfile(page.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
