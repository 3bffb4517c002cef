import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { code, harness, row, type View } from "../onboarding/support";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { appWith } from "../support/app";

type ReturnView = View & { invitation: View["invitation"] & { returnUrl: string | null } };

const SUCCESS = "https://partner.example.com/done?ref=abc";
const FAILURE = "https://partner.example.com/failed#top";

describe("successRedirectUrl and failureRedirectUrl on create", () => {
  it("are returned on create, get and list; null when not given", async () => {
    const { apiKey } = await createProject();
    const created = await createInvitation(apiKey, {
      successRedirectUrl: SUCCESS,
      failureRedirectUrl: FAILURE,
    });
    expect(created.successRedirectUrl).toBe(SUCCESS);
    expect(created.failureRedirectUrl).toBe(FAILURE);
    const got = (await (await call(`/v1/invitations/${created.id}`, { apiKey })).json()) as {
      invitation: Record<string, unknown>;
    };
    expect(got.invitation).toMatchObject({ successRedirectUrl: SUCCESS, failureRedirectUrl: FAILURE });
    const list = (await (await call("/v1/invitations", { apiKey })).json()) as {
      items: Record<string, unknown>[];
    };
    expect(list.items[0]).toMatchObject({
      id: created.id,
      successRedirectUrl: SUCCESS,
      failureRedirectUrl: FAILURE,
    });

    const plain = await createInvitation(apiKey);
    expect(plain.successRedirectUrl).toBeNull();
    expect(plain.failureRedirectUrl).toBeNull();
  });

  it.each([
    ["successRedirectUrl", "javascript:alert(1)", "Must use https"],
    ["failureRedirectUrl", "http://partner.example.com/x", "Must use https"],
    [
      "successRedirectUrl",
      "https://10.0.0.1/x",
      "Must not point at a private, link-local or internal address",
    ],
    [
      "successRedirectUrl",
      "https://u:p@partner.example.com/",
      "Must not contain credentials (user:password@)",
    ],
    ["failureRedirectUrl", "/relative", "Must be an absolute URL"],
    ["successRedirectUrl", "http://localhost:8787/back", "Must use https"],
  ])(
    "%s %j: 400 invalid_request naming the field, nothing created (local URLs refused where webhooks refuse them)",
    async (field, value, message) => {
      const { apiKey } = await createProject();
      // Local URLs off, as deployed: the workerd suite itself allows them.
      const strict = appWith({}, { ...env, WEBHOOK_ALLOW_LOCAL_URLS: "false" });
      const res = await strict("/v1/invitations", {
        method: "POST",
        apiKey,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ [field]: value }),
      });
      const body = await expectError(res, 400, "invalid_request");
      expect(body.details?.fields).toEqual({ [field]: message });
      const list = (await (await call("/v1/invitations", { apiKey })).json()) as { items: unknown[] };
      expect(list.items).toEqual([]);
    },
  );

  it("loopback http is accepted where webhooks allow local URLs (WEBHOOK_ALLOW_LOCAL_URLS=true), private ranges still not", async () => {
    const { apiKey } = await createProject();
    const ok = await postJson("/v1/invitations", apiKey, { successRedirectUrl: "http://127.0.0.1:9/back" });
    expect(ok.status).toBe(201);
    const body = await expectError(
      await postJson("/v1/invitations", apiKey, { successRedirectUrl: "http://192.168.1.1/back" }),
      400,
      "invalid_request",
    );
    expect(body.details?.fields).toEqual({
      successRedirectUrl: "Must not point at a private, link-local or internal address",
    });
  });

  it("a non-string or a too long URL is a 400", async () => {
    const { apiKey } = await createProject();
    await expectError(
      await postJson("/v1/invitations", apiKey, { successRedirectUrl: 42 }),
      400,
      "invalid_request",
    );
    await expectError(
      await postJson("/v1/invitations", apiKey, {
        failureRedirectUrl: `https://a.example.com/${"x".repeat(2048)}`,
      }),
      400,
      "invalid_request",
    );
  });
});

describe("the client's view carries the return URL, never the token", () => {
  it("after a success: successRedirectUrl + invitation_id, status, sender_id (the partner's query kept)", async () => {
    const h = harness();
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey, { successRedirectUrl: SUCCESS, failureRedirectUrl: FAILURE });
    const started = await h.ok<ReturnView>(inv.token, "start", {});
    expect(started.invitation.returnUrl).toBeNull();
    const done = await h.ok<ReturnView>(inv.token, "complete", { code: code() });
    expect(done.invitation.status).toBe("completed");
    const senderId = (await row(inv.id)).senderId;
    expect(senderId).toMatch(/^snd_/);
    const expected = `https://partner.example.com/done?ref=abc&invitation_id=${inv.id}&status=completed&sender_id=${senderId}`;
    expect(done.invitation.returnUrl).toBe(expected);
    expect(done.invitation.returnUrl).not.toContain(inv.token);
  });

  it("after a failure: failureRedirectUrl + invitation_id, status, failure_reason (the fragment kept last)", async () => {
    const h = harness();
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey, { successRedirectUrl: SUCCESS, failureRedirectUrl: FAILURE });
    await h.ok(inv.token, "start", {});
    const failed = await h.ok<ReturnView>(inv.token, "fail", {
      reason: "fb_cancelled",
      step: "PHONE_NUMBER_SETUP",
    });
    expect(failed.invitation.returnUrl).toBe(
      `https://partner.example.com/failed?invitation_id=${inv.id}&status=failed&failure_reason=fb_cancelled#top`,
    );
    // A retry clears it until the next outcome.
    const again = await h.ok<ReturnView>(inv.token, "start", {});
    expect(again.invitation.returnUrl).toBeNull();
  });

  it("without return URLs, returnUrl stays null", async () => {
    const h = harness();
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok<ReturnView>(inv.token, "complete", { code: code() });
    expect(done.invitation.returnUrl).toBeNull();
  });
});
