import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic } from "./browser";
import { type Invitation, partnerApi } from "./support/partner-api";

const baseUrl = inject("baseUrl");
// The test key: a test-mode page talks to this origin only (the live page loads Meta's SDK, which
// invite-live.test.ts stubs).
const apiKey = inject("testApiKey");
const projectName = inject("projectName");
const CLIENT_NAME = "Acme Corp";

// The partner's side over HTTP (shared with the other browser tests).
const api = partnerApi(baseUrl, apiKey).call;

let browser: BrowserSession;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("an invitation link in Chromium", () => {
  it("shows who invites whom to what, then, once cancelled, that the link no longer works (410); never the token", async () => {
    const created = await api("POST", "/v1/invitations", { clientName: CLIENT_NAME });
    expect(created.status).toBe(201);
    const { invitation } = (await created.json()) as { invitation: Invitation };
    const link = new URL(invitation.url);
    expect(link.origin).toBe(baseUrl);
    const token = link.pathname.split("/").pop() ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const { page } = browser;
    const traffic = recordTraffic(page);
    // What a reader sees (rendered text), not the markup's text nodes.
    // biome-ignore lint/performance/useDomNodeTextContent: visible text is the point here
    const visibleText = () => page.locator("body").innerText();
    const heading = async () => (await page.locator("h1").textContent())?.trim() ?? "";

    const open = await page.goto(invitation.url);
    expect(open?.status()).toBe(200);
    const invites = await heading();
    expect(invites).toContain(projectName);
    expect(invites).toContain(CLIENT_NAME);
    expect(invites).toContain("WhatsApp Business");
    expect(await visibleText()).not.toContain(token);
    expect(await page.title()).not.toContain(token);

    const cancelled = await api("POST", `/v1/invitations/${invitation.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { invitation: Invitation }).invitation.status).toBe("cancelled");

    const closed = await page.reload();
    expect(closed?.status()).toBe(410);
    expect(await heading()).toBe("This link no longer works");
    const text = await visibleText();
    expect(text).toContain("cancelled");
    expect(text).not.toContain(token);
    expect(text).not.toContain(projectName);
    expect(await page.title()).not.toContain(token);

    expect(traffic.foreign).toEqual([]);
    expect(traffic.failed).toEqual([]);
  });
});
