import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LIVE_META, pageCaller, pageHtml } from "../invite/support";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { code, harness, row } from "./support";

/** The `#invite-data` block of a page. */
function pageData(html: string): Record<string, unknown> {
  const json = /<script type="application\/json" id="invite-data">(.*?)<\/script>/s.exec(html)?.[1];
  if (!json) throw new Error("no #invite-data");
  return JSON.parse(json) as Record<string, unknown>;
}

describe("create: phoneNumberType and language", () => {
  it("are optional, null by default, and round-trip on create, get and list", async () => {
    const project = await createProject();
    const plain = await createInvitation(project.apiKey);
    expect(plain.phoneNumberType).toBeNull();
    expect(plain.language).toBeNull();

    const chosen = await createInvitation(project.apiKey, {
      phoneNumberType: "business_app",
      language: "pt",
    });
    expect(chosen).toMatchObject({ phoneNumberType: "business_app", language: "pt" });
    const got = await call(`/v1/invitations/${chosen.id}`, { apiKey: project.apiKey });
    expect(((await got.json()) as { invitation: unknown }).invitation).toMatchObject({
      phoneNumberType: "business_app",
      language: "pt",
    });
    const list = await call("/v1/invitations?limit=5", { apiKey: project.apiKey });
    const items = (
      (await list.json()) as { items: { id: string; phoneNumberType: unknown; language: unknown }[] }
    ).items;
    expect(items.find((i) => i.id === chosen.id)).toMatchObject({
      phoneNumberType: "business_app",
      language: "pt",
    });
    for (const type of ["cloud_api", "any"]) {
      expect((await createInvitation(project.apiKey, { phoneNumberType: type })).phoneNumberType).toBe(type);
    }
    for (const language of ["en", "es"]) {
      expect((await createInvitation(project.apiKey, { language })).language).toBe(language);
    }
  });

  it("refuses bad values (400 invalid_request naming the field) and creates nothing", async () => {
    const project = await createProject();
    const count = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM invitations WHERE project_id = ?")
          .bind(project.projectId)
          .first<{ n: number }>()
      )?.n;
    const before = await count();
    for (const body of [
      { phoneNumberType: "new" },
      { phoneNumberType: "" },
      { phoneNumberType: null },
      { phoneNumberType: 1 },
      { language: "fr" },
      { language: "EN" },
      { language: "pt-BR" },
      { language: null },
      { connectionType: "messenger", phoneNumberType: "any" },
    ]) {
      const res = await postJson("/v1/invitations", project.apiKey, body);
      const error = await expectError(res, 400, "invalid_request");
      const field = Object.keys(body).find((k) => k !== "connectionType") ?? "";
      expect(Object.keys((error.details?.fields ?? {}) as object), JSON.stringify(body)).toContain(field);
    }
    // Messenger with a language is fine.
    expect(
      (await createInvitation(project.apiKey, { connectionType: "messenger", language: "es" })).language,
    ).toBe("es");
    expect(await count()).toBe((before ?? 0) + 1);
  });
});

describe("phoneNumberType on the connection", () => {
  it("cloud_api refuses a number on the WhatsApp Business app; business_app refuses one that is not; any takes both", async () => {
    const h = harness();
    const project = await createProject();
    const cases = [
      { type: "cloud_api", scenario: "coexistence", event: "FINISH", outcome: "failed" },
      { type: "cloud_api", scenario: "ok", event: "FINISH", outcome: "completed" },
      {
        type: "cloud_api",
        scenario: "ok",
        event: "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING",
        outcome: "failed",
      },
      { type: "business_app", scenario: "ok", event: "FINISH", outcome: "failed" },
      { type: "business_app", scenario: "coexistence", event: "FINISH", outcome: "completed" },
      { type: "any", scenario: "coexistence", event: "FINISH", outcome: "completed" },
      { type: "any", scenario: "ok", event: "FINISH", outcome: "completed" },
      { type: undefined, scenario: "coexistence", event: "FINISH", outcome: "completed" },
    ];
    for (const c of cases) {
      const inv = await createInvitation(project.apiKey, c.type ? { phoneNumberType: c.type } : {});
      await h.ok(inv.token, "start", {});
      const done = await h.ok(inv.token, "complete", { code: code(c.scenario), event: c.event });
      expect(done.invitation.status, JSON.stringify(c)).toBe(c.outcome);
      if (c.outcome === "failed") {
        expect(done.invitation.failureReason).toBe("phone_number_type_not_allowed");
        expect((await row(inv.id)).senderId).toBeNull();
      }
    }
  });

  it("meets the number step: business_app never parks (the step adds Cloud API numbers); cloud_api and any park an unverified or missing number", async () => {
    const h = harness();
    const project = await createProject();
    const cases = [
      { type: "business_app", scenario: "unverified", status: "failed", step: null },
      { type: "business_app", scenario: "no_phone_number", status: "failed", step: null },
      { type: "cloud_api", scenario: "unverified", status: "in_progress", step: "verifying_number" },
      { type: "cloud_api", scenario: "no_phone_number", status: "in_progress", step: "adding_number" },
      { type: "any", scenario: "unverified", status: "in_progress", step: "verifying_number" },
      { type: "any", scenario: "no_phone_number", status: "in_progress", step: "adding_number" },
    ];
    for (const c of cases) {
      const inv = await createInvitation(project.apiKey, { phoneNumberType: c.type });
      await h.ok(inv.token, "start", {});
      const done = await h.ok<{
        invitation: { status: string; onboardingStep: string | null; failureReason: string | null };
      }>(inv.token, "complete", { code: code(c.scenario), event: "FINISH" });
      expect(done.invitation, JSON.stringify(c)).toMatchObject({
        status: c.status,
        onboardingStep: c.step,
        failureReason: c.status === "failed" ? "phone_number_type_not_allowed" : null,
      });
    }
  });

  it("the live page asks Meta for coexistence (featureType) for business_app, and offers the choice for any", async () => {
    const page = pageCaller({ ...LIVE_META, META_APP_SECRET: "s" });
    const project = await createProject();
    const extrasOf = async (body: Record<string, unknown>) => {
      const inv = await createInvitation(project.apiKey, body);
      const data = pageData(await (await page(`/invite/${inv.token}`, pageHtml())).text());
      return data;
    };
    const none = await extrasOf({});
    expect(none.redirect).toMatchObject({ numberType: null, landed: false });
    expect((none.meta as { extras: Record<string, unknown> }).extras.featureType).toBe("");
    const biz = await extrasOf({ phoneNumberType: "business_app" });
    expect(biz.redirect).toMatchObject({ numberType: "business_app" });
    // The server's extras already ask for coexistence (the v4 extras and its prefill kept).
    expect((biz.meta as { extras: Record<string, unknown> }).extras).toEqual({
      setup: {},
      featureType: "whatsapp_business_app_onboarding",
      sessionInfoVersion: "3",
      version: "v4",
    });
    const any = await extrasOf({ phoneNumberType: "any" });
    expect((any.redirect as { text: Record<string, string> }).text.chooseBusinessApp).toBe(
      "The number I already use in the WhatsApp Business app",
    );
  });
});

describe("language", () => {
  it("the invitation's language wins over Accept-Language on every page of the link", async () => {
    const page = pageCaller();
    const project = await createProject();
    const pt = await createInvitation(project.apiKey, { language: "pt" });
    const res = await page(`/invite/${pt.token}`, pageHtml("es-MX,es;q=0.9,en;q=0.5"));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('<html lang="pt">');
    expect(res.headers.get("Content-Language")).toBe("pt");
    expect(html).toContain("Conectar WhatsApp");

    // Without the field, Accept-Language decides as before.
    const plain = await createInvitation(project.apiKey);
    const es = await page(`/invite/${plain.token}`, pageHtml("es"));
    expect(es.headers.get("Content-Language")).toBe("es");

    // A closed link's page too.
    await call(`/v1/invitations/${pt.id}/cancel`, { method: "POST", apiKey: project.apiKey });
    const gone = await page(`/invite/${pt.token}`, pageHtml("es"));
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('<html lang="pt">');
  });
});

describe("device class at start", () => {
  it("is recorded for the popup launch too (desktop, mobile)", async () => {
    const h = harness();
    const project = await createProject();
    for (const [ua, expected] of [
      [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "desktop",
      ],
      [
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
        "mobile",
      ],
    ] as const) {
      const inv = await createInvitation(project.apiKey);
      const res = await h.call(`/invite/${inv.token}/start`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": ua },
        body: "{}",
      });
      expect(res.status).toBe(200);
      const attempt = await env.DB.prepare(
        "SELECT launch, device_class FROM onboarding_attempts WHERE invitation_id = ?",
      )
        .bind(inv.id)
        .first();
      expect(attempt).toEqual({ launch: "popup", device_class: expected });
    }
  });
});
