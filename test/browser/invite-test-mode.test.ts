import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";
import { axeViolations, watchProblems } from "./support/page-checks";
import { partnerApi } from "./support/partner-api";

// State the page reaches on its own (the SDK loaded, a call answered): bounded like any action.
const POLL = { timeout: TIMEOUTS.action, interval: 50 };

// Test mode in Chromium: invitations made with the test key. The panel's buttons drive the real
// flow endpoints against the Worker's built-in fake of Meta; the page talks to this origin only.

const baseUrl = inject("baseUrl");
const projectName = inject("projectName");
const partner = partnerApi(baseUrl, inject("testApiKey"));
const FAKE_NUMBER = {
  id: "100000000000011",
  display: "+1 415-555-0100",
  e164: "+14155550100",
  name: "Test Business",
};

let browser: BrowserSession;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh tab with its language, its traffic, errors and CSP reports recorded. */
async function open(url: string, language = "en-US,en;q=0.9") {
  const page = await browser.context.newPage();
  await page.setExtraHTTPHeaders({ "Accept-Language": language });
  const traffic = recordTraffic(page);
  const problems = watchProblems(page);
  const response = await page.goto(url);
  return { page, traffic, problems, response };
}

async function expectAccessible(page: Page, state: string) {
  expect(await axeViolations(page), `axe-core, ${state}`).toEqual([]);
}

const liveRegion = (page: Page) => page.locator("#live");
const outcomeHeading = (page: Page) => page.locator("#outcome h2");

async function expectClean(t: Awaited<ReturnType<typeof open>>) {
  await t.traffic.quiet();
  expect(t.traffic.foreign, "requests to hosts other than localhost").toEqual([]);
  expect(t.traffic.failed, "failed requests").toEqual([]);
  expect(t.problems.cspViolations, "CSP violations").toEqual([]);
  expect(t.problems.errors, "errors in the page").toEqual([]);
  expect(t.problems.failedCalls, "the page's calls that failed").toEqual([]);
}

describe("test mode in Chromium", () => {
  it("Simulate success, by keyboard alone: the panel, then connected; the partner sees completed and the sender", async () => {
    const invitation = await partner.create({ clientName: "Acme Corp" });
    const t = await open(invitation.url);
    const { page } = t;
    expect(t.response?.status()).toBe(200);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.locator("h1").textContent()).toBe(
      `${projectName} invites Acme Corp to connect WhatsApp Business`,
    );
    const action = page.getByRole("button", { name: "Connect WhatsApp" });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    // The stylesheet and the script are static assets (/invite-assets/) the nonce lets in: the
    // button wears the page's colours (#0b57d0), and the script enabled it.
    expect(await action.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(11, 87, 208)");
    await expectAccessible(page, "pending");

    // The action is the first stop of the Tab order, and its focus is visible.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("action");
    expect(await action.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe("none");
    await page.keyboard.press("Enter");

    const panel = page.getByRole("region", { name: "Test mode" });
    await panel.waitFor({ state: "visible" });
    const success = page.getByRole("button", { name: "Simulate success", exact: true });
    expect(await success.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByRole("button", { name: "Simulate cancel", exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Simulate error", exact: true }).isVisible()).toBe(true);
    expect(await action.isDisabled()).toBe(true);
    expect((await partner.invitation(invitation.id)).status).toBe("in_progress");
    await expectAccessible(page, "in progress (test panel)");

    await page.keyboard.press("Enter");
    await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    expect(await outcomeHeading(page).evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await liveRegion(page).textContent()).toBe(
      `The WhatsApp number ${FAKE_NUMBER.e164} (${FAKE_NUMBER.name}) is now connected to ${projectName}. You can close this page.`,
    );
    expect(await action.isHidden()).toBe(true);
    expect(await panel.isHidden()).toBe(true);
    await expectAccessible(page, "connected");

    const done = await partner.invitation(invitation.id);
    expect(done).toMatchObject({
      status: "completed",
      failureReason: null,
      connectedAccount: { id: FAKE_NUMBER.id, channel: "whatsapp", name: FAKE_NUMBER.name },
    });
    expect(done.senderId).toMatch(/^snd_/);
    expect(await partner.sender(done.senderId ?? "")).toMatchObject({
      id: done.senderId,
      name: FAKE_NUMBER.name,
      phoneNumber: FAKE_NUMBER.e164,
      channels: ["whatsapp"],
      whatsapp: { displayPhoneNumber: FAKE_NUMBER.display, phoneNumberId: FAKE_NUMBER.id },
    });

    // A reload now: the link has been used.
    const again = await page.reload();
    expect(again?.status()).toBe(410);
    expect(await page.locator("h1").textContent()).toBe("This link no longer works");
    await expectAccessible(page, "gone (completed)");
    await expectClean(t);
    await page.close();
  });

  it("Simulate cancel, then a retry with the same button, then success", async () => {
    const invitation = await partner.create({ clientName: "Globex" });
    const t = await open(invitation.url);
    const { page } = t;
    const action = page.getByRole("button", { name: "Connect WhatsApp" });
    await action.click();
    await page.getByRole("button", { name: "Simulate cancel", exact: true }).click();

    await outcomeHeading(page).filter({ hasText: "The connection did not work" }).waitFor();
    expect(await page.locator("#outcome").textContent()).toContain(
      "Meta's window was closed before the connection was finished.",
    );
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    expect(await page.getByRole("region", { name: "Test mode" }).isHidden()).toBe(true);
    const cancelled = await partner.invitation(invitation.id);
    expect(cancelled).toMatchObject({ status: "failed", failureReason: "fb_cancelled", senderId: null });
    await expectAccessible(page, "failed (cancelled)");

    // Double clicks send each step once: the buttons are disabled while a step runs.
    const posts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST") posts.push(new URL(r.url()).pathname.split("/").pop() ?? "");
    });
    await action.dblclick();
    await page.getByRole("button", { name: "Simulate success", exact: true }).dblclick();
    await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    expect(posts).toEqual(["start", "complete"]);
    const done = await partner.invitation(invitation.id);
    expect(done).toMatchObject({ status: "completed", failureReason: null });
    expect(done.senderId).toMatch(/^snd_/);
    await expectClean(t);
    await page.close();
  });

  it("Simulate error: failed with its sentence; a reload shows it from the server; a lost window is given up and retried", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const { page } = t;
    await page.getByRole("button", { name: "Connect WhatsApp" }).click();
    await page.getByRole("button", { name: "Simulate error", exact: true }).click();
    await outcomeHeading(page).filter({ hasText: "The connection did not work" }).waitFor();
    const sentence = "Meta reported an error during the sign-up, or something went wrong on our side.";
    expect(await page.locator("#outcome").textContent()).toContain(sentence);
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "failed",
      failureReason: "internal_error",
    });

    // The same failed state, rendered by the server.
    await page.reload();
    expect(await outcomeHeading(page).textContent()).toBe("The connection did not work");
    expect(await page.locator("#outcome").textContent()).toContain(sentence);
    await expectAccessible(page, "failed (server-rendered)");

    // Open the panel (in progress), then reload, as if the window were lost: the page says so.
    const action = page.getByRole("button", { name: "Connect WhatsApp" });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("region", { name: "Test mode" }).waitFor({ state: "visible" });
    expect((await partner.invitation(invitation.id)).status).toBe("in_progress");
    await page.reload();
    expect(await page.locator("#outcome").textContent()).toContain(
      "was started from this link and not finished",
    );
    await expectAccessible(page, "in progress (server-rendered)");
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("button", { name: "Simulate success", exact: true }).click();
    await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    expect((await partner.invitation(invitation.id)).status).toBe("completed");
    await expectClean(t);
    await page.close();
  });

  it("a reload keeps the attempt: its secret stays in sessionStorage and goes along; another tab is refused meanwhile", async () => {
    const invitation = await partner.create();
    const t = await open(invitation.url);
    const { page } = t;
    const action = page.getByRole("button", { name: "Connect WhatsApp" });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("region", { name: "Test mode" }).waitFor({ state: "visible" });
    const started = await partner.invitation(invitation.id);
    expect(started.status).toBe("in_progress");
    const secretOf = (p: Page) =>
      p.evaluate(() => sessionStorage.getItem(`invite-attempt:${location.pathname.replace(/\/+$/, "")}`));
    const secret = await secretOf(page);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await page.reload();
    expect(await secretOf(page)).toBe(secret);

    // A second tab (its own sessionStorage) may not take the attempt over while it is young.
    const other = await open(invitation.url);
    const otherAction = other.page.getByRole("button", { name: "Connect WhatsApp" });
    await expect.poll(() => otherAction.isEnabled(), POLL).toBe(true);
    await otherAction.click();
    await other.page.locator("#outcome .error").waitFor();
    expect(await other.page.locator("#outcome .error").textContent()).toBe(
      "Connecting was started from this link in another browser or tab a moment ago. Finish it there, or try again in a few minutes.",
    );
    expect(await other.page.getByRole("button", { name: "Simulate success", exact: true }).isVisible()).toBe(
      false,
    );
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "in_progress",
      startedAt: started.startedAt,
    });
    await other.page.close();

    // The first tab, reloaded, still owns it: its start (with the secret) and complete go through.
    const headers: (string | null)[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST") headers.push(r.headers()["x-attempt-secret"] ?? null);
    });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("button", { name: "Simulate success", exact: true }).click();
    await outcomeHeading(page).filter({ hasText: "Connected" }).waitFor();
    expect((await partner.invitation(invitation.id)).status).toBe("completed");
    // start sent the reloaded secret; complete sent the new attempt's.
    expect(headers).toHaveLength(2);
    expect(headers[0]).toBe(secret);
    expect(headers[1]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(headers[1]).not.toBe(secret);
    await expectClean(t);
    await page.close();
  });

  it("in Spanish: the page, the panel (English button names) and a cancel's sentence", async () => {
    const invitation = await partner.create({ clientName: "Acme Corp", allowedPhoneCountries: ["US", "ES"] });
    const t = await open(invitation.url, "es-ES,es;q=0.9,en;q=0.5");
    const { page } = t;
    expect(await page.locator("html").getAttribute("lang")).toBe("es");
    expect(await page.locator("h1").textContent()).toBe(
      `${projectName} invita a Acme Corp a conectar WhatsApp Business`,
    );
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
    const text = await page.locator("main").innerText();
    expect(text).toContain("Este enlace vence el");
    expect(text).toContain("Estados Unidos y España");
    await expectAccessible(page, "pending (es)");
    const action = page.getByRole("button", { name: "Conectar WhatsApp" });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("region", { name: "Modo de prueba" }).waitFor({ state: "visible" });
    await page.getByRole("button", { name: "Simulate cancel", exact: true }).click();
    await outcomeHeading(page).filter({ hasText: "La conexión no se completó" }).waitFor();
    expect(await page.locator("#outcome").textContent()).toContain(
      "Se cerró la ventana de Meta antes de terminar la conexión.",
    );
    expect(await liveRegion(page).textContent()).toContain("Puedes intentarlo de nuevo.");
    await expectAccessible(page, "failed (es)");
    expect((await partner.invitation(invitation.id)).failureReason).toBe("fb_cancelled");
    await expectClean(t);
    await page.close();
  });

  it("in Portuguese, a Facebook Page: the fake's one Page is connected without a picker", async () => {
    const invitation = await partner.create({ clientName: "Globex", connectionType: "messenger" });
    const t = await open(invitation.url, "pt-BR");
    const { page } = t;
    expect(await page.locator("html").getAttribute("lang")).toBe("pt");
    expect(await page.locator("h1").textContent()).toBe(
      `${projectName} convida Globex a conectar uma página do Facebook (Messenger)`,
    );
    const action = page.getByRole("button", { name: "Conectar página do Facebook" });
    await expect.poll(() => action.isEnabled(), POLL).toBe(true);
    await action.click();
    await page.getByRole("button", { name: "Simulate success", exact: true }).click();
    await outcomeHeading(page).filter({ hasText: "Conectado" }).waitFor();
    expect(await liveRegion(page).textContent()).toBe(
      `A página do Facebook Test Page agora está conectada a ${projectName}. Você pode fechar esta página.`,
    );
    expect(await page.locator("fieldset").count()).toBe(0);
    await expectAccessible(page, "connected (pt, messenger)");
    const done = await partner.invitation(invitation.id);
    expect(done).toMatchObject({
      status: "completed",
      connectedAccount: { id: "200000000000001", channel: "messenger", name: "Test Page" },
    });
    expect(await partner.sender(done.senderId ?? "")).toMatchObject({
      name: "Test Page",
      channels: ["messenger"],
    });
    await expectClean(t);
    await page.close();
  });

  it("gone and not-found pages are accessible too", async () => {
    const invitation = await partner.create();
    expect((await partner.call("POST", `/v1/invitations/${invitation.id}/cancel`)).status).toBe(200);
    const gone = await open(invitation.url, "pt");
    expect(gone.response?.status()).toBe(410);
    expect(await gone.page.locator("h1").textContent()).toBe("Este link não funciona mais");
    await expectAccessible(gone.page, "gone (cancelled, pt)");
    await expectClean(gone);
    await gone.page.close();
    const missing = await open(`${baseUrl}/invite/${"A".repeat(43)}`);
    expect(missing.response?.status()).toBe(404);
    await expectAccessible(missing.page, "not found");
    await missing.page.close();
  });
});
