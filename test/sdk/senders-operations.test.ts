import { env } from "cloudflare:workers";
import Zavudev, { BadRequestError, NotFoundError } from "@zavudev/sdk";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { FAKE_WABA_ID } from "../../src/meta/fake";
import { connected, defaults, rowsOf, withFake } from "../senders/support";
import { createProject } from "../support/api";
import type { Caller } from "../support/app";

/** The official client, configured as a partner would, into `app` (an app with its own fake of Meta). */
function client(app: Caller, apiKey: string): Zavudev {
  return new Zavudev({
    apiKey,
    baseURL: "https://invitations.test",
    maxRetries: 0,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const body =
        request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return app(`${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body });
    },
  });
}

// Storage is this file's own: each test starts without senders (none shares the fake's WABA).
beforeEach(async () => {
  await createDb(env.DB).delete(senders);
});

describe("@zavudev/sdk 0.57.0: senders.update and senders.delete", () => {
  it("update renames and moves the default; the SDK's other-product fields are a BadRequestError", async () => {
    const { app } = withFake();
    const project = await createProject();
    const zavu = client(app, project.apiKey);
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
      client(app, (await createProject()).apiKey).senders.update(first.id, { name: "x" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("delete resolves, unsubscribes the app and the sender is gone; again is NotFoundError", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const zavu = client(app, project.apiKey);
    const row = await connected(app, project.apiKey, project.projectId, { number: "+14155550402" });
    // The SDK types delete as void; this service answers 200 { id, deleted: true }.
    await expect(zavu.senders.delete(row.id)).resolves.toEqual({ id: row.id, deleted: true });
    await expect(zavu.senders.retrieve(row.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(zavu.senders.delete(row.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.count(`DELETE /${FAKE_WABA_ID}/subscribed_apps`)).toBe(1);
    expect(fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(false);
  });
});
