import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";
import { type GraphCall, graphCalls } from "./support/fake-graph-server";
import { finishMessage, type LoginScenario, routeMeta } from "./support/meta-stub";
import { axeViolations, watchProblems } from "./support/page-checks";
import { partnerApi } from "./support/partner-api";

// State the page reaches on its own (the SDK loaded, a call answered): bounded like any action.
const POLL = { timeout: TIMEOUTS.action, interval: 50 };

// The live page (an invitation made with a live key, Meta configured) in Chromium, without Meta:
// Meta's SDK and login window are stubs served by Playwright's routing (support/meta-stub.ts),
// and the Worker's Graph API calls go to the fake of Meta on 127.0.0.1.

const baseUrl = inject("baseUrl");
const fakeGraphUrl = inject("fakeGraphUrl");
const meta = inject("meta");
const projectName = inject("projectName");
const partner = partnerApi(baseUrl, inject("apiKey"));
const FAKE = {
  businessId: "100000000000021",
  wabaId: "100000000000001",
  phoneNumberId: "100000000000011",
  e164: "+14155550100",
  name: "Test Business",
};
const WHATSAPP_GRAPH_CALLS = [
  "GET /oauth/access_token",
  "GET /debug_token",
  `GET /${FAKE.wabaId}/phone_numbers`,
  `GET /${FAKE.wabaId}`,
  `POST /${FAKE.wabaId}/subscribed_apps`,
  `POST /${FAKE.phoneNumberId}/register`,
];

let browser: BrowserSession;
let metaRoutes: Awaited<ReturnType<typeof routeMeta>>;
beforeAll(async () => {
  browser = await openBrowser();
  metaRoutes = await routeMeta(browser.context);
});
afterAll(async () => {
  await browser?.close();
});

const code = (scenario = "ok") => `fake.${scenario}.${randomUUID()}`;
const withCode = (c: string) => ({ status: "connected", authResponse: { code: c } });
const outcomeHeading = (page: Page) => page.locator("#outcome h2");

async function open(url: string, language = "en-US,en;q=0.9") {
  const page = await browser.context.newPage();
  await page.setExtraHTTPHeaders({ "Accept-Language": language });
  const traffic = recordTraffic(page);
  const problems = watchProblems(page);
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  return { page, traffic, problems };
}

/** The stub SDK's record of FB.init and FB.login calls in the page. */
function sdkLog(page: Page) {
  return page.evaluate(
    () => (window as unknown as { __metaSdkStubLog: { call: string; options?: unknown }[] }).__metaSdkStubLog,
  );
}

async function newGraphCalls(run: () => Promise<void>): Promise<GraphCall[]> {
  const before = (await graphCalls(fakeGraphUrl)).length;
  await run();
  return (await graphCalls(fakeGraphUrl)).slice(before);
}

/** Clicks the action with the login window playing `scenario`; answers the flow request it leads to. */
async function attempt(
  page: Page,
  scenario: LoginScenario,
  endpoint: "complete" | "fail" | "pages" | "redirect",
) {
  metaRoutes.next = scenario;
  const request = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/${endpoint}`));
  const action = page.locator("#action");
  await expect.poll(() => action.isEnabled(), POLL).toBe(true);
  await action.click();
  return (await request).postDataJSON() as Record<string, unknown>;
}

async function expectClean(t: Awaited<ReturnType<typeof open>>, sdkUrl: string) {
  await t.traffic.quiet();
  // The page's own requests: this origin, and Meta's SDK (served by the stub, never fetched).
  expect(t.traffic.foreign).toEqual([`GET ${sdkUrl}`]);
  expect(t.traffic.failed).toEqual([]);
  expect(metaRoutes.unexpected, "requests that would have left the machine").toEqual([]);
  expect(t.problems.cspViolations, "CSP violations").toEqual([]);
  expect(t.problems.errors, "errors in the page").toEqual([]);
  expect(t.problems.failedCalls, "the page's calls that failed").toEqual([]);
}

describe("the live page with Meta's SDK stubbed, against the fake Graph API", () => {
  it("WhatsApp: FINISH then the code reach completed, with exactly Meta's calls", async () => {
    const invitation = await partner.create({ clientName: "Acme Corp" });
    const t = await open(invitation.url);
    const { page } = t;
    await expect.poll(() => page.locator("#action").isEnabled(), POLL).toBe(true);
    expect(await axeViolations(page), "axe-core, live pending").toEqual([]);
    expect(await sdkLog(page)).toEqual([
      {
        call: "init",
        options: {
          appId: meta.appId,
          version: meta.graphVersion,
          autoLogAppEvents: false,
          xfbml: false,
          cookie: false,
        },
      },
    ]);

    const theCode = code();
    let body: Record<string, unknown> = {};
    const calls = await newGraphCalls(async () => {
      body = await attempt(
        page,
        {
          response: withCode(theCode),
          // Meta sends strings of JSON as well as objects.
          messages: [
            JSON.stringify(
              finishMessage({
                phone_number_id: FAKE.phoneNumberId,
                waba_id: FAKE.wabaId,
                business_id: FAKE.businessId,
              }),
            ),
          ],
        },
        "complete",
      );
      await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    });
    expect(body).toEqual({
      code: theCode,
      event: "FINISH",
      wabaId: FAKE.wabaId,
      phoneNumberId: FAKE.phoneNumberId,
      businessId: FAKE.businessId,
    });
    expect((await sdkLog(page))[1]).toEqual({
      call: "login",
      options: {
        config_id: meta.configId,
        response_type: "code",
        override_default_response_type: true,
        extras: {
          setup: { business: { name: "Acme Corp" } },
          featureType: "",
          sessionInfoVersion: "3",
          version: "v4",
        },
      },
    });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(WHATSAPP_GRAPH_CALLS);
    expect(calls.every((c) => c.version === meta.graphVersion)).toBe(true);
    // The code exchange: app id, secret and code, and no redirect_uri.
    expect(calls[0]?.params).toEqual(["client_id", "client_secret", "code"]);
    expect(await axeViolations(page), "axe-core, live connected").toEqual([]);

    const done = await partner.invitation(invitation.id);
    expect(done).toMatchObject({
      status: "completed",
      connectedAccount: { id: FAKE.phoneNumberId, channel: "whatsapp", name: FAKE.name },
    });
    expect(await partner.sender(done.senderId ?? "")).toMatchObject({
      phoneNumber: FAKE.e164,
      channels: ["whatsapp"],
      whatsapp: { phoneNumberId: FAKE.phoneNumberId },
    });
    expect(await page.locator("#live").textContent()).toBe(
      `The WhatsApp number ${FAKE.e164} (${FAKE.name}) is now connected to ${projectName}. You can close this page.`,
    );
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await page.close();
  });

  it("WhatsApp: the code first, then FINISH (an object): the message's ids still go along", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const theCode = code();
    const body = await attempt(
      t.page,
      {
        response: withCode(theCode),
        codeFirst: true,
        messages: [
          finishMessage({
            phone_number_id: FAKE.phoneNumberId,
            waba_id: FAKE.wabaId,
            business_id: FAKE.businessId,
          }),
        ],
      },
      "complete",
    );
    expect(body).toEqual({
      code: theCode,
      event: "FINISH",
      wabaId: FAKE.wabaId,
      phoneNumberId: FAKE.phoneNumberId,
      businessId: FAKE.businessId,
    });
    await outcomeHeading(t.page).filter({ hasText: "Connected" }).waitFor();
    expect((await partner.invitation(invitation.id)).status).toBe("completed");
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await t.page.close();
  });

  it("ignores messages from look-alike origins (evilfacebook.com, facebook.com.evil.example)", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const theCode = code();
    const spoofFrom = ["https://evilfacebook.com", "https://facebook.com.evil.example"];
    const spoof = [
      finishMessage({ phone_number_id: "999999999", waba_id: "999999998", business_id: "999999997" }),
      JSON.stringify({ type: "WA_EMBEDDED_SIGNUP", event: "CANCEL", data: { current_step: "PERMISSIONS" } }),
    ];
    // Every message the page receives, by origin (a listener of the test's, beside the page's).
    await t.page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(window, { seenOrigins: seen });
      window.addEventListener("message", (event) => seen.push(event.origin));
    });
    // The real window sends no message: the page waits briefly, then submits the code alone.
    const body = await attempt(t.page, { response: withCode(theCode), spoofFrom, spoof }, "complete");
    expect(body).toEqual({ code: theCode });
    // The spoofed messages did reach the page (two from each look-alike), and were ignored.
    const seen = await t.page.evaluate(() => (window as unknown as { seenOrigins: string[] }).seenOrigins);
    for (const origin of spoofFrom) expect(seen.filter((o) => o === origin)).toHaveLength(2);
    await outcomeHeading(t.page).filter({ hasText: "Connected" }).waitFor();
    expect(metaRoutes.spoofFrames.slice(-2).sort()).toEqual([...spoofFrom].sort());
    expect((await partner.invitation(invitation.id)).status).toBe("completed");
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await t.page.close();
  });

  it("no code: CANCEL with a step, CANCEL with an error, declined, each a retryable failure; closed with nothing continues in Meta's dialog", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const { page } = t;
    const cases: {
      scenario: LoginScenario;
      body: Record<string, unknown>;
      reason: string;
      sentence: string;
    }[] = [
      {
        scenario: {
          response: { status: "unknown", authResponse: null },
          messages: [
            {
              type: "WA_EMBEDDED_SIGNUP",
              event: "CANCEL",
              data: { current_step: "PHONE_NUMBER_VERIFICATION" },
            },
          ],
        },
        body: { reason: "fb_cancelled", step: "PHONE_NUMBER_VERIFICATION" },
        reason: "fb_cancelled",
        sentence: "Meta's window was closed before the connection was finished.",
      },
      {
        scenario: {
          response: { status: "unknown", authResponse: null },
          messages: [
            JSON.stringify({
              type: "WA_EMBEDDED_SIGNUP",
              event: "CANCEL",
              data: {
                error_message: "Phone number already registered",
                error_code: "524126",
                session_id: "s1",
                timestamp: 1,
              },
            }),
          ],
        },
        // Meta's error code and session id reach the partner's attempts list.
        body: {
          reason: "internal_error",
          message: "Phone number already registered",
          errorCode: "524126",
          sessionId: "s1",
        },
        reason: "internal_error",
        sentence: "Meta reported an error during the sign-up",
      },
      {
        scenario: { response: { status: "not_authorized", authResponse: null } },
        body: { reason: "fb_not_authorized" },
        reason: "fb_not_authorized",
        sentence: "The permissions Meta asked for were not granted",
      },
    ];
    for (const c of cases) {
      const body = await attempt(page, c.scenario, "fail");
      expect(body, c.reason).toEqual(c.body);
      await outcomeHeading(page).filter({ hasText: "The connection did not work" }).waitFor();
      expect(await page.locator("#outcome").textContent(), c.reason).toContain(c.sentence);
      expect(await partner.invitation(invitation.id), c.reason).toMatchObject({
        status: "failed",
        failureReason: c.reason,
      });
    }
    // What Meta's dialog said, in the partner's list of attempts.
    const attempts = (await (
      await partner.call("GET", `/v1/invitations/${invitation.id}/attempts`)
    ).json()) as {
      items: {
        failureReason: string;
        abandonedAtStep: string | null;
        metaErrorCode: string | null;
        metaSessionId: string | null;
      }[];
    };
    expect(attempts.items.find((a) => a.failureReason === "internal_error")).toMatchObject({
      metaErrorCode: "524126",
      metaSessionId: "s1",
    });
    expect(attempts.items.find((a) => a.failureReason === "fb_cancelled")).toMatchObject({
      abandonedAtStep: "PHONE_NUMBER_VERIFICATION",
    });
    expect(await axeViolations(page), "axe-core, live failed").toEqual([]);
    // Still retryable. A window closed with nothing (no code, no message) continues in Meta's
    // dialog as a full page, and a look-alike's error report does not turn it into internal_error.
    const fallback = await attempt(
      page,
      {
        response: { status: "unknown", authResponse: null },
        spoofFrom: ["https://evilfacebook.com"],
        spoof: [{ type: "WA_EMBEDDED_SIGNUP", event: "CANCEL", data: { error_message: "spoofed" } }],
      },
      "redirect",
    );
    expect(fallback).toEqual({});
    await page.waitForURL((url) => url.searchParams.has("landed"));
    await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    expect((await partner.invitation(invitation.id)).status).toBe("completed");
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await page.close();
  });

  it("Messenger, in Spanish: one Page is connected without asking, with the Pages configuration", async () => {
    const invitation = await partner.create({ connectionType: "messenger" });
    const t = await open(invitation.url, "es-419,es;q=0.9");
    const { page } = t;
    const calls = await newGraphCalls(async () => {
      await attempt(page, { response: withCode(code()) }, "pages");
      await outcomeHeading(page).filter({ hasText: "Conectado" }).waitFor();
    });
    expect(await page.locator("#live").textContent()).toBe(
      `La página de Facebook Test Page ya está conectada a ${projectName}. Puedes cerrar esta página.`,
    );
    expect((await sdkLog(page))[1]).toEqual({
      call: "login",
      options: {
        config_id: meta.messengerConfigId,
        response_type: "code",
        override_default_response_type: true,
      },
    });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "GET /oauth/access_token",
      "GET /oauth/access_token",
      "GET /me/accounts",
      "POST /200000000000001/subscribed_apps",
    ]);
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "completed",
      connectedAccount: { id: "200000000000001", channel: "messenger", name: "Test Page" },
    });
    await expectClean(t, "https://connect.facebook.net/es_LA/sdk.js");
    await page.close();
  });

  it("Messenger with several Pages: an accessible radio group, used by keyboard", async () => {
    const invitation = await partner.create({ connectionType: "messenger" });
    const t = await open(invitation.url);
    const { page } = t;
    const calls = await newGraphCalls(async () => {
      await attempt(page, { response: withCode(code("several_pages")) }, "pages");
      const group = page.getByRole("group", { name: "Choose the Page to connect" });
      await group.waitFor();
      expect(await group.getByRole("radio").count()).toBe(3);
      expect(
        await page
          .getByRole("radio", { name: "Test Page", exact: true })
          .evaluate((el) => el === document.activeElement),
      ).toBe(true);
      expect(await axeViolations(page), "axe-core, Page picker").toEqual([]);

      // Nothing chosen yet: the button says so and sends nothing.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await expect.poll(() => page.locator("#live").textContent(), POLL).toBe("Choose a Page first.");
      // Back to the group, the next Page, then the button.
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("ArrowDown");
      expect(await page.getByRole("radio", { name: "Test Page 2" }).isChecked()).toBe(true);
      const complete = page.waitForRequest((r) => r.url().endsWith("/complete"));
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      expect((await complete).postDataJSON()).toEqual({ pageId: "200000000000002" });
      await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "GET /oauth/access_token",
      "GET /oauth/access_token",
      "GET /me/accounts",
      "POST /200000000000002/subscribed_apps",
    ]);
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "completed",
      connectedAccount: { id: "200000000000002", channel: "messenger", name: "Test Page 2" },
    });
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await page.close();
  });

  it("failures found by the server are explained in plain words: no Page, a used code", async () => {
    const messenger = await partner.create({ connectionType: "messenger" });
    const t = await open(messenger.url);
    const pages = t.page.waitForResponse((r) => r.url().endsWith("/pages"));
    await attempt(t.page, { response: withCode(code("no_pages")) }, "pages");
    expect(((await (await pages).json()) as { pages: unknown[] }).pages).toEqual([]);
    await outcomeHeading(t.page).filter({ hasText: "The connection did not work" }).waitFor();
    expect(await t.page.locator("#outcome").textContent()).toContain(
      "Your Facebook account does not manage any Page.",
    );
    expect(await partner.invitation(messenger.id)).toMatchObject({
      status: "failed",
      failureReason: "meta_no_pages",
    });
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await t.page.close();

    const whatsapp = await partner.create();
    const w = await open(whatsapp.url, "pt-BR");
    await attempt(w.page, { response: withCode(code("used_code")) }, "complete");
    await outcomeHeading(w.page).filter({ hasText: "A conexão não foi concluída" }).waitFor();
    expect(await w.page.locator("#outcome").textContent()).toContain("O login da Meta já tinha sido usado.");
    expect(await partner.invitation(whatsapp.id)).toMatchObject({
      status: "failed",
      failureReason: "meta_code_used",
    });
    expect(await w.page.getByRole("button", { name: "Conectar WhatsApp" }).isEnabled()).toBe(true);
    await expectClean(w, "https://connect.facebook.net/pt_BR/sdk.js");
    await w.page.close();
  });

  it("sends only what the endpoints accept: ids that are not Meta's are dropped, a long step is cut", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const theCode = code();
    const body = await attempt(
      t.page,
      {
        response: withCode(theCode),
        messages: [
          finishMessage({
            waba_id: "not-an-id",
            phone_number_id: "1".repeat(40),
            business_id: FAKE.businessId,
          }),
        ],
      },
      "complete",
    );
    expect(body).toEqual({ code: theCode, event: "FINISH", businessId: FAKE.businessId });
    await outcomeHeading(t.page).filter({ hasText: "Connected" }).waitFor();

    const other = await partner.create();
    const o = await open(other.url);
    const failBody = await attempt(
      o.page,
      {
        response: { status: "unknown", authResponse: null },
        messages: [{ type: "WA_EMBEDDED_SIGNUP", event: "CANCEL", data: { current_step: "S".repeat(300) } }],
      },
      "fail",
    );
    expect(failBody).toEqual({ reason: "fb_cancelled", step: "S".repeat(100) });
    await outcomeHeading(o.page).filter({ hasText: "The connection did not work" }).waitFor();
    expect((await partner.invitation(other.id)).failureReason).toBe("fb_cancelled");
    await expectClean(t, "https://connect.facebook.net/en_US/sdk.js");
    await expectClean(o, "https://connect.facebook.net/en_US/sdk.js");
    await t.page.close();
    await o.page.close();
  });

  it("when Meta's SDK cannot load (blocked), says so and keeps the action disabled", async () => {
    const invitation = await partner.create();
    const page = await browser.context.newPage();
    // A page route wins over the context's: this page's SDK request fails, as behind a blocker.
    await page.route("https://connect.facebook.net/**", (route) => route.abort("blockedbyclient"));
    expect((await page.goto(invitation.url))?.status()).toBe(200);
    await page.locator("#progress").filter({ hasText: "Meta's sign-in could not be loaded." }).waitFor();
    expect(await page.locator("#action").isDisabled()).toBe(true);
    expect(await axeViolations(page), "axe-core, SDK unavailable").toEqual([]);
    expect((await partner.invitation(invitation.id)).status).toBe("pending");
    await page.close();
  });
});
