import { describe, expect, it } from "vitest";
import { FAKE_PAGE, FAKE_PAGES } from "../../src/meta/fake";
import { PAGE_SUBSCRIBED_FIELDS } from "../../src/meta/graph";
import { createProject } from "../support/api";
import { code, expectStatus, harness, newInvitation, row, sendersOf, type View } from "./support";

type Pages = View & { pages: { id: string; name: string }[] };

describe("Messenger through the flow endpoints (test mode)", () => {
  it("one Page: pages lists it (no token), complete connects it and makes the sender", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { connectionType: "messenger", clientName: "Acme" });
    await h.ok(inv.token, "start", {});
    const listed = await h.ok<Pages>(inv.token, "pages", { code: code() });
    expect(listed.pages).toEqual([{ id: FAKE_PAGE.id, name: FAKE_PAGE.name }]);
    expect(listed.invitation.status).toBe("in_progress");
    expect(JSON.stringify(listed)).not.toContain("EAA");

    const done = await h.ok(inv.token, "complete", { pageId: FAKE_PAGE.id });
    expect(done.invitation).toMatchObject({
      status: "completed",
      connectedAccount: { id: FAKE_PAGE.id, channel: "messenger", name: FAKE_PAGE.name, phoneNumber: null },
    });
    expect(h.fake.calls).toEqual([
      "GET /oauth/access_token",
      "GET /oauth/access_token",
      "GET /me/accounts",
      `POST /${FAKE_PAGE.id}/subscribed_apps`,
    ]);
    expect(h.fake.pageSubscribedFields(FAKE_PAGE.id)).toEqual(PAGE_SUBSCRIBED_FIELDS);
    const [sender, ...others] = await sendersOf(project.projectId);
    expect(others).toEqual([]);
    expect(sender).toMatchObject({
      channel: "messenger",
      providerAccountId: FAKE_PAGE.id,
      name: FAKE_PAGE.name,
      phoneNumber: null,
    });
    const stored = await row(inv.id);
    expect(stored.senderId).toBe(sender?.id);
    const api = await h.call(`/v1/senders/${sender?.id}`, { apiKey: project.apiKey });
    expect(await api.json()).toEqual({
      id: sender?.id,
      name: FAKE_PAGE.name,
      phoneNumber: "",
      channels: ["messenger"],
      isDefault: true,
      status: "active",
      statusChangedAt: new Date(sender?.createdAt ?? 0).toISOString(),
      createdAt: new Date(sender?.createdAt ?? 0).toISOString(),
      updatedAt: new Date(sender?.updatedAt ?? 0).toISOString(),
    });
  });

  it("several Pages: the client picks one; a Page not in the list is a 400 that changes nothing", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(inv.token, "start", {});
    const listed = await h.ok<Pages>(inv.token, "pages", { code: code("several_pages") });
    expect(listed.pages).toEqual(FAKE_PAGES.map(({ id, name }) => ({ id, name })));

    const before = await row(inv.id);
    const refused = await expectStatus(
      await h.post(inv.token, "complete", { pageId: "299999999999999" }),
      400,
      "invalid_request",
    );
    expect(refused.details.fields).toHaveProperty("pageId");
    expect(await row(inv.id)).toEqual(before);

    const chosen = FAKE_PAGES[1];
    const done = await h.ok(inv.token, "complete", { pageId: chosen.id });
    expect(done.invitation.connectedAccount).toEqual({
      id: chosen.id,
      channel: "messenger",
      name: chosen.name,
      phoneNumber: null,
    });
    expect(h.fake.count(`POST /${chosen.id}/subscribed_apps`)).toBe(1);
    expect(h.fake.count(`POST /${FAKE_PAGE.id}/subscribed_apps`)).toBe(0);
  });

  it("no Page: the invitation fails with meta_no_pages at the pages step, and can be retried", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(inv.token, "start", {});
    const listed = await h.ok<Pages>(inv.token, "pages", { code: code("no_pages") });
    expect(listed).toMatchObject({
      pages: [],
      invitation: { status: "failed", failureReason: "meta_no_pages" },
    });
    // Repeated: the same answer, nothing exchanged again.
    const again = await h.ok<Pages>(inv.token, "pages", { code: code() });
    expect(again).toEqual(listed);
    expect(h.fake.count("GET /oauth/access_token")).toBe(2);
    // complete has nothing to connect.
    await expectStatus(await h.post(inv.token, "complete", { pageId: FAKE_PAGE.id }), 400, "invalid_state");

    await h.ok(inv.token, "start", {});
    const retried = await h.ok<Pages>(inv.token, "pages", { code: code() });
    expect(retried.pages).toHaveLength(1);
    const done = await h.ok(inv.token, "complete", { pageId: FAKE_PAGE.id });
    expect(done.invitation.status).toBe("completed");
  });

  it("complete before pages is a 400 invalid_state; a WhatsApp body is a 400 invalid_request", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(inv.token, "start", {});
    await expectStatus(await h.post(inv.token, "complete", { pageId: FAKE_PAGE.id }), 400, "invalid_state");
    await expectStatus(await h.post(inv.token, "complete", { code: code() }), 400, "invalid_request");
    expect(h.fake.calls).toEqual([]);
    expect((await row(inv.id)).status).toBe("in_progress");
  });

  it("the same Page connected again in the project reuses its sender", async () => {
    const h = harness();
    const project = await createProject();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const inv = await newInvitation(project.apiKey, { connectionType: "messenger" });
      await h.ok(inv.token, "start", {});
      await h.ok(inv.token, "pages", { code: code() });
      await h.ok(inv.token, "complete", { pageId: FAKE_PAGE.id });
      ids.push(String((await row(inv.id)).senderId));
    }
    expect(ids[0]).toBe(ids[1]);
    expect(await sendersOf(project.projectId)).toHaveLength(1);
  });
});
