import { mkdirSync } from "node:fs";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";
import { axeViolations, watchProblems } from "./support/page-checks";
import { partnerApi } from "./support/partner-api";

// The partner's brand and the way back to the partner, in Chromium, on test-mode invitations
// (the test key). Branding is per project and mode: this file sets the test key's and clears it
// after itself, so the other files (which run one at a time) see the plain page.
// Screenshots are kept in test/browser/.artifacts/ (gitignored).

const baseUrl = inject("baseUrl");
const testApiKey = inject("testApiKey");
const projectName = inject("projectName");
const partner = partnerApi(baseUrl, testApiKey);
const ARTIFACTS = path.join(import.meta.dirname, ".artifacts");
const POLL = { timeout: TIMEOUTS.action, interval: 50 };
const PARTNER_ORIGIN = "https://partner.example.com";

/** A real PNG: 48x48, RGB, two colours (so Chromium decodes and draws it). */
function logoPng(): Buffer {
  const size = 48;
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0);
    for (let x = 0; x < size; x++) {
      const inside = (x - 24) ** 2 + (y - 24) ** 2 < 400;
      rows.push(...(inside ? [0x11, 0x5e, 0x67] : [0xff, 0xff, 0xff]));
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function brand(body: Record<string, unknown>) {
  const res = await partner.call("PUT", "/v1/invitations/branding", body);
  expect(res.status, await res.clone().text()).toBe(200);
}
async function uploadLogo() {
  const res = await fetch(`${baseUrl}/v1/invitations/branding/logo`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${testApiKey}`, "Content-Type": "image/png" },
    body: logoPng(),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}
async function unbrand() {
  await partner.call("PUT", "/v1/invitations/branding", {});
  await partner.call("DELETE", "/v1/invitations/branding/logo");
}

let browser: BrowserSession;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await openBrowser();
  await unbrand();
});
afterAll(async () => {
  await unbrand();
  await browser?.close();
});

async function open(url: string, language = "en-US,en;q=0.9", viewport = { width: 720, height: 900 }) {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  await page.setExtraHTTPHeaders({ "Accept-Language": language });
  const traffic = recordTraffic(page);
  const problems = watchProblems(page);
  const response = await page.goto(url);
  return { page, traffic, problems, response };
}

async function expectClean(t: Awaited<ReturnType<typeof open>>) {
  await t.traffic.quiet();
  expect(t.traffic.foreign, "requests to hosts other than localhost").toEqual([]);
  expect(t.traffic.failed, "failed requests").toEqual([]);
  expect(t.problems.cspViolations, "CSP violations").toEqual([]);
  expect(t.problems.errors, "errors in the page").toEqual([]);
}

const shot = (page: Page, name: string) =>
  page.locator("main").screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

const INVITES = {
  en: "Pale & Co invites Acme Corp",
  es: "Pale & Co invita a Acme Corp",
  pt: "Pale & Co convida",
} as const;

describe("a branded page in Chromium", () => {
  for (const [accent, text] of [
    ["#FFEE00", "rgb(0, 0, 0)"],
    ["#202020", "rgb(255, 255, 255)"],
  ] as const) {
    it(`accent ${accent}: the action wears it with ${text} text, the logo shows, axe-clean in en, es and pt`, async () => {
      await brand({
        displayName: "Pale & Co",
        accentColor: accent,
        supportEmail: "help@partner.example.com",
        supportUrl: "https://partner.example.com/help",
        privacyPolicyUrl: "https://partner.example.com/privacy",
        termsUrl: "https://partner.example.com/terms",
      });
      await uploadLogo();
      const invitation = await partner.create({ clientName: "Acme Corp" });
      for (const language of ["en", "es", "pt"] as const) {
        const t = await open(invitation.url, language);
        const { page } = t;
        expect(t.response?.status()).toBe(200);
        const h1 = (await page.locator("h1").textContent()) ?? "";
        expect(h1.startsWith(INVITES[language]), h1).toBe(true);
        const action = page.locator("#action");
        await expect.poll(() => action.isEnabled(), POLL).toBe(true);
        const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(accent.slice(i, i + 2), 16));
        expect(await action.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
          `rgb(${r}, ${g}, ${b})`,
        );
        expect(await action.evaluate((el) => getComputedStyle(el).color)).toBe(text);
        expect(await page.locator("img.logo").evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(
          48,
        );
        expect(await page.locator("footer.links a").count()).toBe(4);
        expect(await axeViolations(page), `axe-core, ${accent} ${language}`).toEqual([]);
        await expectClean(t);
        await shot(page, `branded-${accent.slice(1)}-${language}`);
        await page.close();
      }
    });
  }

  it("without branding, the page names the project, shows no logo, and the action is the default blue", async () => {
    await unbrand();
    const invitation = await partner.create({ clientName: "Acme Corp" });
    const t = await open(invitation.url);
    expect(await t.page.locator("h1").textContent()).toBe(
      `${projectName} invites Acme Corp to connect WhatsApp Business`,
    );
    expect(await t.page.locator("img").count()).toBe(0);
    await expect.poll(() => t.page.locator("#action").isEnabled(), POLL).toBe(true);
    expect(await t.page.locator("#action").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      "rgb(11, 87, 208)",
    );
    expect(await t.page.locator('#steps [aria-current="step"]').textContent()).toContain("Open Meta");
    await shot(t.page, "state-pending");
    await t.page.close();
  });
});

/** Serves the partner's site (a page route: no network), recording each request's URL and Referer. */
async function partnerSite(page: Page) {
  const visits: { url: string; referer: string | undefined; at: number }[] = [];
  await page.route(`${PARTNER_ORIGIN}/**`, (route) => {
    visits.push({ url: route.request().url(), referer: route.request().headers().referer, at: Date.now() });
    return route.fulfill({
      status: 200,
      contentType: "text/html",
      body: "<!doctype html><title>Partner</title><h1>Back</h1>",
    });
  });
  return visits;
}

describe("the way back to the partner", () => {
  it("after a success: the link at once, then the page goes there 3 to 10 s after the outcome, with the params, no token, no Referer", async () => {
    await unbrand();
    const invitation = await partner.create({
      clientName: "Acme Corp",
      successRedirectUrl: `${PARTNER_ORIGIN}/done?ref=42`,
      failureRedirectUrl: `${PARTNER_ORIGIN}/failed`,
    });
    const token = new URL(invitation.url).pathname.split("/").pop() ?? "";
    const t = await open(invitation.url);
    const { page } = t;
    const visits = await partnerSite(page);
    await expect.poll(() => page.locator("#action").isEnabled(), POLL).toBe(true);
    await page.locator("#action").click();
    await page.getByRole("button", { name: "Simulate success", exact: true }).click();
    await page.locator("#outcome h2").filter({ hasText: "Connected" }).waitFor();
    const shownAt = Date.now();
    const link = page.locator("#return-link");
    expect(await link.isVisible()).toBe(true);
    expect(await link.textContent()).toBe(`Continue to ${projectName}`);
    const done = await partner.invitation(invitation.id);
    const expected = `${PARTNER_ORIGIN}/done?ref=42&invitation_id=${invitation.id}&status=completed&sender_id=${done.senderId}`;
    expect(await link.getAttribute("href")).toBe(expected);
    expect(await link.getAttribute("rel")).toBe("noreferrer");
    expect(await page.locator("#return-countdown").textContent()).toMatch(
      /^Taking you back to .+ in [1-5] s\.$/,
    );
    expect(await page.locator('#steps [aria-current="step"]').textContent()).toContain("Done");
    expect(await axeViolations(page), "axe-core, connected with a return link").toEqual([]);
    await shot(page, "state-connected-return");

    await page.waitForURL(`${PARTNER_ORIGIN}/**`, { timeout: 12_000 });
    const [visit] = visits;
    expect(visits).toHaveLength(1);
    expect(visit?.url).toBe(expected);
    expect(visit?.url).not.toContain(token);
    expect(visit?.referer, "the partner's site gets no Referer").toBeUndefined();
    const seconds = ((visit?.at ?? 0) - shownAt) / 1000;
    expect(seconds, `redirected ${seconds} s after the outcome showed`).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThanOrEqual(10);

    // The link again later: 410, a "Continue" link with the same URL, and the same countdown.
    await page.goto(invitation.url);
    expect(await page.locator("#return-link").getAttribute("href")).toBe(expected);
    expect(await axeViolations(page), "axe-core, used link with a return").toEqual([]);
    await shot(page, "state-used-return");
    await page.waitForURL(`${PARTNER_ORIGIN}/**`, { timeout: 12_000 });
    expect(visits).toHaveLength(2);
    expect(visits[1]?.url).toBe(expected);
    expect(t.problems.cspViolations).toEqual([]);
    expect(t.problems.errors).toEqual([]);
    await page.close();
  });

  it("'Stay on this page' stops the automatic return; the link stays", async () => {
    const invitation = await partner.create({ successRedirectUrl: `${PARTNER_ORIGIN}/done` });
    const t = await open(invitation.url);
    const { page } = t;
    const visits = await partnerSite(page);
    await expect.poll(() => page.locator("#action").isEnabled(), POLL).toBe(true);
    await page.locator("#action").click();
    await page.getByRole("button", { name: "Simulate success", exact: true }).click();
    await page.locator("#return-stay").click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("return-link");
    await page.waitForTimeout(6_500);
    expect(visits).toEqual([]);
    expect(page.url()).toBe(invitation.url);
    expect(await page.locator("#return-link").isVisible()).toBe(true);
    await page.close();
  });

  it("after a failure: the retry stays, a 'Back to' link with the reason, and no automatic return", async () => {
    const invitation = await partner.create({
      successRedirectUrl: `${PARTNER_ORIGIN}/done`,
      failureRedirectUrl: `${PARTNER_ORIGIN}/failed`,
    });
    const t = await open(invitation.url, "es");
    const { page } = t;
    const visits = await partnerSite(page);
    await expect.poll(() => page.locator("#action").isEnabled(), POLL).toBe(true);
    await page.locator("#action").click();
    await page.getByRole("button", { name: "Simulate cancel", exact: true }).click();
    await page.locator("#outcome h2").waitFor();
    const link = page.locator("#return-link");
    expect(await link.textContent()).toBe(`Volver a ${projectName}`);
    expect(await link.getAttribute("href")).toBe(
      `${PARTNER_ORIGIN}/failed?invitation_id=${invitation.id}&status=failed&failure_reason=fb_cancelled`,
    );
    expect(await page.locator("#action").isEnabled()).toBe(true);
    expect(await page.locator("#return-countdown").count()).toBe(0);
    expect(await axeViolations(page), "axe-core, failed with a back link").toEqual([]);
    await shot(page, "state-failed-return");
    await page.waitForTimeout(6_500);
    expect(visits).toEqual([]);

    // The link goes where it says, without a Referer.
    await link.click();
    await page.waitForURL(`${PARTNER_ORIGIN}/**`);
    expect(visits[0]?.referer).toBeUndefined();
    await page.close();
  });
});
