import { describe, expect, it } from "vitest";
import {
  FAKE_DISPLAY_PHONE_NUMBER,
  FAKE_PHONE_NUMBER_ID,
  FAKE_VERIFIED_NAME,
  FAKE_WABA_ID,
} from "../../src/meta/fake";
import { addPhoneNumber, createProject } from "../support/api";
import { code, expectStatus, harness, newInvitation, row, sendersOf, type View } from "./support";

describe("WhatsApp through the flow endpoints (test mode)", () => {
  it("start then complete connects the number, registers it and makes the sender", async () => {
    const h = harness();
    const project = await createProject("Acme partner");
    const inv = await newInvitation(project.apiKey, { clientName: "Acme Corp" });

    const started = await h.ok(inv.token, "start", {});
    expect(started.invitation).toMatchObject({
      id: inv.id,
      status: "in_progress",
      testMode: true,
      partnerName: "Acme partner",
    });

    const done = await h.ok(inv.token, "complete", { code: code(), event: "FINISH" });
    expect(done.invitation).toEqual({
      id: inv.id,
      status: "completed",
      connectionType: "whatsapp_waba",
      clientName: "Acme Corp",
      partnerName: "Acme partner",
      expiresAt: inv.expiresAt,
      allowedPhoneCountries: null,
      assignedPhoneNumber: null,
      connectedAccount: {
        id: FAKE_PHONE_NUMBER_ID,
        channel: "whatsapp",
        name: FAKE_VERIFIED_NAME,
        phoneNumber: "+14155550100",
      },
      failureReason: null,
      testMode: true,
      onboardingStep: null,
      returnUrl: null,
    });

    // Meta's side: each call once, in order, and the number registered with a 6-digit PIN.
    expect(h.fake.calls).toEqual([
      "GET /oauth/access_token",
      "GET /debug_token",
      `GET /${FAKE_WABA_ID}/phone_numbers`,
      `GET /${FAKE_WABA_ID}`,
      `POST /${FAKE_WABA_ID}/subscribed_apps`,
      `POST /${FAKE_PHONE_NUMBER_ID}/register`,
    ]);
    expect(h.fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(true);
    expect(h.fake.registeredPin(FAKE_PHONE_NUMBER_ID)).toMatch(/^\d{6}$/);

    const stored = await row(inv.id);
    expect(stored.status).toBe("completed");
    expect(stored.completedAt).not.toBeNull();
    const [sender, ...others] = await sendersOf(project.projectId);
    expect(others).toEqual([]);
    expect(sender).toMatchObject({
      id: stored.senderId,
      channel: "whatsapp",
      providerAccountId: FAKE_PHONE_NUMBER_ID,
      wabaId: FAKE_WABA_ID,
      phoneNumber: "+14155550100",
      displayPhoneNumber: FAKE_DISPLAY_PHONE_NUMBER,
      name: FAKE_VERIFIED_NAME,
      invitationId: inv.id,
      mode: "live",
    });
    expect(sender?.registeredAt).not.toBeNull();
  });

  it("ids from the popup are hints: a WABA the token was not granted fails the attempt", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", {
      code: code(),
      wabaId: "999999999",
      phoneNumberId: FAKE_PHONE_NUMBER_ID,
    });
    expect(done.invitation).toMatchObject({
      status: "failed",
      failureReason: "meta_permission_missing",
      connectedAccount: null,
    });
    expect(h.fake.count(`GET /${FAKE_WABA_ID}/phone_numbers`)).toBe(0);
    expect(await sendersOf(project.projectId)).toEqual([]);
  });

  it("a number outside allowedPhoneCountries fails with phone_country_not_allowed, nothing subscribed", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { allowedPhoneCountries: ["MX", "BR"] });
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", { code: code() });
    expect(done.invitation).toMatchObject({ status: "failed", failureReason: "phone_country_not_allowed" });
    expect(h.fake.count(`POST /${FAKE_WABA_ID}/subscribed_apps`)).toBe(0);
    expect(h.fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(0);
    expect(await sendersOf(project.projectId)).toEqual([]);
    const stored = await row(inv.id);
    expect(stored.failedAt).not.toBeNull();
  });

  it("a number inside allowedPhoneCountries connects (Spain, +34)", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey, { allowedPhoneCountries: ["ES"] });
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", { code: code("number_34612345678") });
    expect(done.invitation.status).toBe("completed");
    expect(done.invitation.connectedAccount?.phoneNumber).toBe("+34612345678");
  });

  it("the pre-assigned number connects; another number fails with phone_number_mismatch", async () => {
    const h = harness();
    const project = await createProject();
    const assigned = await addPhoneNumber(project.projectId, "+34612345678");
    const good = await newInvitation(project.apiKey, { phoneNumberId: assigned });
    const started = await h.ok(good.token, "start", {});
    expect(started.invitation.assignedPhoneNumber).toBe("+34612345678");
    const done = await h.ok(good.token, "complete", { code: code("number_34612345678") });
    expect(done.invitation).toMatchObject({ status: "completed", assignedPhoneNumber: "+34612345678" });

    const other = await addPhoneNumber(project.projectId, "+34699999999");
    const bad = await newInvitation(project.apiKey, { phoneNumberId: other });
    await h.ok(bad.token, "start", {});
    const failed = await h.ok(bad.token, "complete", { code: code("number_34612345678") });
    expect(failed.invitation).toMatchObject({ status: "failed", failureReason: "phone_number_mismatch" });
  });

  it("coexistence (a number on the WhatsApp Business app) is subscribed but not registered", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", {
      code: code("coexistence"),
      event: "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING",
      wabaId: FAKE_WABA_ID,
    });
    expect(done.invitation.status).toBe("completed");
    expect(h.fake.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(0);
    expect(h.fake.isWabaSubscribed(FAKE_WABA_ID)).toBe(true);
    const [sender] = await sendersOf(project.projectId);
    expect(sender?.registeredAt).toBeNull();
  });

  it("connecting the same number again in the project reuses its sender and its PIN", async () => {
    const h = harness();
    const project = await createProject();
    const first = await newInvitation(project.apiKey);
    await h.ok(first.token, "start", {});
    await h.ok(first.token, "complete", { code: code() });
    const pin = h.fake.registeredPin(FAKE_PHONE_NUMBER_ID);
    const [before] = await sendersOf(project.projectId);

    const second = await newInvitation(project.apiKey);
    await h.ok(second.token, "start", {});
    await h.ok(second.token, "complete", { code: code() });
    const after = await sendersOf(project.projectId);
    expect(after.map((s) => s.id)).toEqual([before?.id]);
    expect(after[0]?.invitationId).toBe(second.id);
    expect((await row(second.id)).senderId).toBe(before?.id);
    // Re-registered with the same two-step PIN: another would be a mismatch at Meta.
    expect(h.fake.registeredPin(FAKE_PHONE_NUMBER_ID)).toBe(pin);

    // Another project connecting the same number gets its own sender.
    const other = await createProject();
    const third = await newInvitation(other.apiKey);
    await h.ok(third.token, "start", {});
    await h.ok(third.token, "complete", { code: code() });
    const [otherSender] = await sendersOf(other.projectId);
    expect(otherSender?.id).not.toBe(before?.id);
  });

  it("the partner API shows completed with senderId and connectedAccount", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    await h.ok(inv.token, "complete", { code: code() });
    const res = await h.call(`/v1/invitations/${inv.id}`, { apiKey: project.apiKey });
    const { invitation } = (await res.json()) as { invitation: Record<string, unknown> };
    const stored = await row(inv.id);
    expect(invitation).toMatchObject({
      status: "completed",
      senderId: stored.senderId,
      connectedAccount: { id: FAKE_PHONE_NUMBER_ID, channel: "whatsapp", name: FAKE_VERIFIED_NAME },
      completedAt: new Date(stored.completedAt ?? 0).toISOString(),
      startedAt: new Date(stored.startedAt ?? 0).toISOString(),
      failureReason: null,
    });
    expect(String(stored.senderId)).toMatch(/^snd_[0-9a-z]{24}$/);
    const sender = await h.call(`/v1/senders/${stored.senderId}`, { apiKey: project.apiKey });
    expect(sender.status).toBe(200);
    expect(await sender.json()).toMatchObject({
      id: stored.senderId,
      name: FAKE_VERIFIED_NAME,
      phoneNumber: "+14155550100",
      channels: ["whatsapp"],
      whatsapp: { displayPhoneNumber: FAKE_DISPLAY_PHONE_NUMBER, phoneNumberId: FAKE_PHONE_NUMBER_ID },
    });
  });

  it("a failed attempt is retried through start and then connects", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const failed = await h.ok<View>(inv.token, "complete", { code: code("register_limit") });
    expect(failed.invitation).toMatchObject({ status: "failed", failureReason: "meta_register_limit" });
    const firstStart = (await row(inv.id)).startedAt;

    const retried = await h.ok<View>(inv.token, "start", {});
    expect(retried.invitation).toMatchObject({ status: "in_progress", failureReason: null });
    const stored = await row(inv.id);
    expect(stored.failureReason).toBeNull();
    expect(stored.failedAt).toBeNull();
    expect(stored.startedAt).toBeGreaterThanOrEqual(firstStart ?? 0);
    const done = await h.ok<View>(inv.token, "complete", { code: code() });
    expect(done.invitation.status).toBe("completed");
  });

  it("complete with a Messenger body on a WhatsApp invitation is a 400 and changes nothing", async () => {
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const before = await row(inv.id);
    await expectStatus(
      await h.post(inv.token, "complete", { pageId: "200000000000001" }),
      400,
      "invalid_request",
    );
    await expectStatus(await h.post(inv.token, "pages", { code: code() }), 400, "invalid_request");
    expect(await row(inv.id)).toEqual(before);
    expect(h.fake.calls).toEqual([]);
  });
});
