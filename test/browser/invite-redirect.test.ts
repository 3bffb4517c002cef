import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";
import { graphCalls, setDialogScenario } from "./support/fake-graph-server";
import { routeMeta } from "./support/meta-stub";
import { axeViolations, watchProblems } from "./support/page-checks";
import { partnerApi } from "./support/partner-api";

// The full-page redirect to Meta's OAuth dialog, in Chromium, against the Worker and the fake of
// Meta on 127.0.0.1 (META_DIALOG_URL points at it): the fake's dialog redirects back to the
// Worker's /invite/callback with a code and the state it was given, as Meta's does.

const POLL = { timeout: TIMEOUTS.action, interval: 50 };
const baseUrl = inject("baseUrl");
const fakeGraphUrl = inject("fakeGraphUrl");
const meta = inject("meta");
const partner = partnerApi(baseUrl, inject("apiKey"));
const FAKE = { wabaId: "100000000000001", phoneNumberId: "100000000000011", e164: "+14155550100" };
const INSTAGRAM_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.0.0 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556)";

let browser: BrowserSession;
let metaRoutes: Awaited<ReturnType<typeof routeMeta>>;
beforeAll(async () => {
  browser = await openBrowser();
  metaRoutes = await routeMeta(browser.context);
});
afterAll(async () => {
  await browser?.close();
});

/** A tab with the given Accept-Language and, optionally, an in-app browser's User-Agent. */
async function tab(language: string, userAgent?: string) {
  const page = await browser.context.newPage();
  await page.setExtraHTTPHeaders({ "Accept-Language": language });
  if (userAgent) {
    // navigator.userAgent and the header both: what the page script and the server read.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Emulation.setUserAgentOverride", { userAgent });
  }
  return { page, traffic: recordTraffic(page), problems: watchProblems(page) };
}

const HEADINGS = { en: "Connected", es: "Conectado", pt: "Conectado" } as const;

async function expectLandedConnected(page: Page, token: string, language: keyof typeof HEADINGS) {
  await page.waitForURL((url) => url.pathname === `/invite/${token}` && url.searchParams.has("landed"));
  const heading = page.locator("#outcome h2");
  await expect.poll(() => heading.textContent(), POLL).toBe(HEADINGS[language]);
  expect(await page.locator("#outcome").textContent()).toContain(FAKE.e164);
  expect(await page.locator("html").getAttribute("lang")).toBe(language);
  expect(await page.locator("#action").isHidden()).toBe(true);
  expect(await axeViolations(page), `axe-core, landed connected (${language})`).toEqual([]);
}

describe("the full-page redirect against the fake of Meta", () => {
  for (const language of ["en", "es", "pt"] as const) {
    it(`an in-app browser (Instagram) goes through Meta's dialog as a full page and completes (${language})`, async () => {
      // en by the browser's language; es and pt by the invitation's language over the browser's.
      const invitation = await partner.create(
        language === "en" ? { phoneNumberType: "any" } : { language, phoneNumberType: "any" },
      );
      const { page, traffic, problems } = await tab(
        language === "en" ? "en-US,en;q=0.9" : "en",
        INSTAGRAM_UA,
      );
      const sdkBefore = metaRoutes.sdkRequests.length;
      const popupsBefore = metaRoutes.loginWindows.length;
      const response = await page.goto(invitation.url);
      expect(response?.status()).toBe(200);
      const action = page.locator("#action");
      await expect.poll(() => action.isEnabled(), POLL).toBe(true);
      // The partner allowed either kind of number: the client chooses (a new one, the default).
      expect(await page.locator("#number-type input:checked").getAttribute("value")).toBe("cloud_api");
      expect(await axeViolations(page), `axe-core, in-app pending with the choice (${language})`).toEqual([]);

      const before = (await graphCalls(fakeGraphUrl)).length;
      await action.click();
      await expectLandedConnected(page, invitation.url.split("/").pop() ?? "", language);
      const calls = (await graphCalls(fakeGraphUrl)).slice(before);
      expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
        "GET /dialog/oauth",
        "GET /oauth/access_token",
        "GET /debug_token",
        `GET /${FAKE.wabaId}/phone_numbers`,
        `GET /${FAKE.wabaId}`,
        `POST /${FAKE.wabaId}/subscribed_apps`,
        // Registered by the first run only: later ones find it on the Cloud API with its PIN.
        ...(calls.length === 7 ? [`POST /${FAKE.phoneNumberId}/register`] : []),
      ]);
      expect(calls[0]?.params).toEqual([
        "client_id",
        "config_id",
        "extras",
        "override_default_response_type",
        "redirect_uri",
        "response_type",
        "state",
      ]);
      // The exchange names the same redirect_uri (the fake refuses it otherwise).
      expect(calls[1]?.params).toEqual(["client_id", "client_secret", "code", "redirect_uri"]);
      expect(calls.every((c) => c.version === meta.graphVersion)).toBe(true);
      // No popup and no SDK in an in-app browser.
      expect(metaRoutes.sdkRequests.length).toBe(sdkBefore);
      expect(metaRoutes.loginWindows.length).toBe(popupsBefore);
      expect(await partner.invitation(invitation.id)).toMatchObject({
        status: "completed",
        connectedAccount: { id: FAKE.phoneNumberId, channel: "whatsapp" },
      });
      await traffic.quiet();
      expect(traffic.foreign).toEqual([]);
      expect(metaRoutes.unexpected).toEqual([]);
      expect(problems.cspViolations).toEqual([]);
      expect(problems.errors).toEqual([]);
      expect(problems.failedCalls).toEqual([]);
      await page.close();
    });
  }

  it("a popup that returns nothing falls back to the redirect, on the same attempt, and completes", async () => {
    const invitation = await partner.create();
    const { page, problems } = await tab("en-US,en;q=0.9");
    await page.goto(invitation.url);
    const action = page.locator("#action");
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    // Meta's window closes with no authResponse and no message (a blocked or empty popup).
    metaRoutes.next = { response: { status: "unknown", authResponse: null } };
    const redirectCall = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/redirect"));
    const before = (await graphCalls(fakeGraphUrl)).length;
    await action.click();
    await redirectCall;
    await expectLandedConnected(page, invitation.url.split("/").pop() ?? "", "en");
    const calls = (await graphCalls(fakeGraphUrl)).slice(before);
    expect(calls[0]?.path).toBe("/dialog/oauth");
    expect(calls.filter((c) => c.path === "/oauth/access_token")).toHaveLength(1);
    const done = await partner.invitation(invitation.id);
    expect(done.status).toBe("completed");
    // One attempt: the fallback did not start another (startedAt is the first click's).
    expect(done.failedAt).toBeNull();
    expect(problems.errors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    await page.close();
  });

  it("the popup asks Meta for coexistence: always for business_app, on the client's choice for any", async () => {
    const runs: { body: Record<string, unknown>; choose?: string; featureType: string }[] = [
      { body: { phoneNumberType: "business_app" }, featureType: "whatsapp_business_app_onboarding" },
      {
        body: { phoneNumberType: "any" },
        choose: "business_app",
        featureType: "whatsapp_business_app_onboarding",
      },
      // Embedded Signup v4's default flow: featureType "" (docs/meta.md).
      { body: { phoneNumberType: "any" }, featureType: "" },
      { body: { phoneNumberType: "cloud_api" }, featureType: "" },
    ];
    for (const run of runs) {
      const invitation = await partner.create(run.body);
      const { page, problems } = await tab("en-US,en;q=0.9");
      await page.goto(invitation.url);
      const action = page.locator("#action");
      await expect.poll(() => action.isEnabled(), POLL).toBe(true);
      if (run.choose) await page.locator(`#number-type-${run.choose}`).check();
      metaRoutes.next = {
        response: {
          status: "connected",
          authResponse: { code: `fake.coexistence.${Date.now()}x${Math.random().toString(36).slice(2)}` },
        },
        messages: [
          {
            type: "WA_EMBEDDED_SIGNUP",
            event: "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING",
            data: { waba_id: FAKE.wabaId },
          },
        ],
      };
      await action.click();
      await expect
        .poll(() => page.locator("#outcome h2").textContent(), POLL)
        .toMatch(/Connected|did not work/);
      const log = await page.evaluate(
        () =>
          (
            window as unknown as {
              __metaSdkStubLog: { call: string; options?: { extras?: { featureType?: string } } }[];
            }
          ).__metaSdkStubLog,
      );
      expect(log[1]?.options?.extras?.featureType, JSON.stringify(run)).toBe(run.featureType);
      // A number on the WhatsApp Business app: refused only where the partner asked for a new one.
      expect((await partner.invitation(invitation.id)).status, JSON.stringify(run)).toBe(
        run.body.phoneNumberType === "cloud_api" ? "failed" : "completed",
      );
      expect(problems.errors).toEqual([]);
      await page.close();
    }
  });

  it("back from Meta's dialog with a number not verified: the page shows the number step, and its code completes", async () => {
    const invitation = await partner.create();
    const { page, problems } = await tab("en-US,en;q=0.9", INSTAGRAM_UA);
    await page.goto(invitation.url);
    const action = page.locator("#action");
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await setDialogScenario(fakeGraphUrl, "unverified");
    try {
      await action.click();
      await page.waitForURL((url) => url.searchParams.has("landed"));
      // The callback parked the attempt; this tab (its attempt secret) continues it.
      await page.locator("#number-heading").filter({ hasText: "Verify your WhatsApp number" }).waitFor();
    } finally {
      await setDialogScenario(fakeGraphUrl, "ok");
    }
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "in_progress",
      onboardingStep: "verifying_number",
    });
    expect(await axeViolations(page), "axe-core, landed in the number step").toEqual([]);
    await page.getByRole("button", { name: "Send code", exact: true }).click();
    const code = page.getByLabel("6-digit code");
    await code.waitFor({ state: "visible" });
    await code.fill("123456");
    await page.getByRole("button", { name: "Verify", exact: true }).click();
    await expect.poll(() => page.locator("#outcome h2").textContent(), POLL).toBe("Connected");
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "completed",
      onboardingStep: null,
      connectedAccount: { id: FAKE.phoneNumberId, channel: "whatsapp" },
    });
    expect(problems.errors).toEqual([]);
    expect(problems.failedCalls).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    await page.close();
  });

  it("Messenger in an in-app browser with several Pages: back from Meta's dialog, the page offers them", async () => {
    const invitation = await partner.create({ connectionType: "messenger", language: "es" });
    const { page, problems } = await tab("en", INSTAGRAM_UA);
    await page.goto(invitation.url);
    const action = page.locator("#action");
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await setDialogScenario(fakeGraphUrl, "several_pages");
    try {
      await action.click();
      await page.waitForURL((url) => url.searchParams.has("landed"));
      const choices = page.locator('input[name="page"]');
      await expect.poll(() => choices.count(), POLL).toBe(3);
    } finally {
      await setDialogScenario(fakeGraphUrl, "ok");
    }
    expect(await axeViolations(page), "axe-core, landed with Pages to pick (es)").toEqual([]);
    expect((await partner.invitation(invitation.id)).status).toBe("in_progress");
    await page.locator('label:has-text("Test Page 2")').click();
    await page.locator("#extra button").click();
    await expect.poll(() => page.locator("#outcome h2").textContent(), POLL).toBe("Conectado");
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "completed",
      connectedAccount: { id: "200000000000002", channel: "messenger" },
    });
    expect(problems.errors).toEqual([]);
    expect(problems.failedCalls).toEqual([]);
    await page.close();
  });

  for (const language of ["en", "es", "pt"] as const) {
    it(`a tampered state is refused with a clear page and changes nothing (${language})`, async () => {
      const invitation = await partner.create();
      const { page } = await tab(language, INSTAGRAM_UA);
      // Between Meta and the callback, one character of the state's MAC changes.
      await page.route(
        (url) => url.origin === new URL(fakeGraphUrl).origin && url.pathname.endsWith("/dialog/oauth"),
        async (route) => {
          const real = await route.fetch({ maxRedirects: 0 });
          const location = new URL(real.headers().location ?? "");
          const state = location.searchParams.get("state") ?? "";
          location.searchParams.set("state", state.slice(0, -1) + (state.endsWith("0") ? "1" : "0"));
          await route.fulfill({ status: 302, headers: { Location: location.href } });
        },
      );
      await page.goto(invitation.url);
      const action = page.locator("#action");
      await expect.poll(() => action.isEnabled(), POLL).toBe(true);
      const before = (await graphCalls(fakeGraphUrl)).length;
      const landed = page.waitForResponse((r) => new URL(r.url()).pathname === "/invite/callback");
      await action.click();
      expect((await landed).status()).toBe(400);
      const problem = page.locator("#callback-problem");
      await problem.waitFor();
      expect(await problem.getAttribute("data-problem")).toBe("invalid");
      expect(await page.locator("html").getAttribute("lang")).toBe(language);
      expect(await page.title()).toBe(
        { en: "Connection not continued", es: "Conexión no continuada", pt: "Conexão não continuada" }[
          language
        ],
      );
      expect(await axeViolations(page), `axe-core, refused state (${language})`).toEqual([]);
      // Only the dialog was asked: no exchange, nothing connected.
      expect((await graphCalls(fakeGraphUrl)).slice(before).map((c) => c.path)).toEqual(["/dialog/oauth"]);
      expect((await partner.invitation(invitation.id)).status).toBe("in_progress");
      await page.close();
    });
  }
});
