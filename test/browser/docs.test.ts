import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";

const baseUrl = inject("baseUrl");
const OPERATIONS = ["Create invitation", "List invitations", "Get invitation", "Cancel invitation"];
// The second tag is collapsed behind "Show more" on first load: these are in the page, not shown.
const WEBHOOK_OPERATIONS = [
  "Create or replace the webhook",
  "Get the webhook",
  "Update the webhook",
  "Delete the webhook",
  "Rotate the signing secret",
  "List delivery attempts",
  "Re-send an event",
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let browser: BrowserSession;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("GET /docs in Chromium", () => {
  it("renders the interactive reference from this origin alone: every operation, no third-party request", async () => {
    const { page } = browser;
    const traffic = recordTraffic(page);
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const responses = new Map<string, { status: number; contentType: string }>();
    page.on("response", (response) => {
      const url = new URL(response.url());
      if (url.origin !== baseUrl) return;
      responses.set(url.pathname, {
        status: response.status(),
        contentType: response.headers()["content-type"] ?? "",
      });
    });
    const diagnosis = () =>
      JSON.stringify({ foreign: traffic.foreign, failed: traffic.failed, pageErrors, seen: [...responses] });

    const response = await page.goto(`${baseUrl}/docs`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);

    // Scalar turned the OpenAPI document into the reference: each operation is on screen.
    for (const name of OPERATIONS) {
      await page
        .getByText(name, { exact: true })
        .first()
        .waitFor({ state: "visible" })
        .catch((error: unknown) => {
          throw new Error(`"${name}" never became visible: ${diagnosis()}`, { cause: error });
        });
    }
    for (const name of WEBHOOK_OPERATIONS) {
      await page
        .getByText(name, { exact: true })
        .first()
        .waitFor({ state: "attached" })
        .catch((error: unknown) => {
          throw new Error(`"${name}" is not in the page: ${diagnosis()}`, { cause: error });
        });
    }
    await traffic.quiet();

    // The Scalar bundle came from this origin (wrangler.toml [assets]), the
    // document from the Worker.
    expect(responses.get("/docs/scalar.js")).toEqual({
      status: 200,
      contentType: expect.stringMatching(/javascript/),
    });
    expect(responses.get("/openapi.json")?.status).toBe(200);
    expect(traffic.foreign, "requests to hosts other than localhost").toEqual([]);
    expect(traffic.failed, "failed requests").toEqual([]);
    expect(pageErrors, "uncaught errors in the page").toEqual([]);

    const file = path.join(os.tmpdir(), `docs-${process.pid}-${Date.now()}.png`);
    try {
      await page.screenshot({ path: file, timeout: TIMEOUTS.action });
      const png = readFileSync(file);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      // IHDR: width and height of the viewport.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 800]);
      // A blank or near-blank 1280x800 page compresses to a few KB; the rendered reference does not.
      expect(png.length).toBeGreaterThan(30_000);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
