import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Every Playwright wait in this suite is bounded by these (a failure cannot hang the run). */
export const TIMEOUTS = { launch: 30_000, navigation: 15_000, action: 10_000 };

export function assertChromiumInstalled(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, and there is none. On Debian: ` +
        "apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH).",
    );
  }
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh, throwaway profile and no background traffic of its own. */
export async function openBrowser(): Promise<BrowserSession> {
  assertChromiumInstalled();
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "browser-test-profile-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      timeout: TIMEOUTS.launch,
      viewport: { width: 1280, height: 800 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context.setDefaultTimeout(TIMEOUTS.action);
    context.setDefaultNavigationTimeout(TIMEOUTS.navigation);
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      context,
      page,
      async close() {
        await context.close().catch(() => {});
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Requests the page makes, sorted into those that failed and those that left this machine.
 * `quiet()` waits (bounded) until no request has started or ended for `quietMs`, so requests a
 * page makes after it looks rendered are seen too. (Playwright's "networkidle" also counts
 * traffic it does not report as requests, and is flaky here.)
 */
export function recordTraffic(page: Page) {
  const failed: string[] = [];
  const foreign: string[] = [];
  const local = new Set(["localhost", "127.0.0.1", "[::1]"]);
  let inFlight = 0;
  let lastActivity = Date.now();
  const settle = () => {
    inFlight -= 1;
    lastActivity = Date.now();
  };
  page.on("request", (request) => {
    inFlight += 1;
    lastActivity = Date.now();
    const url = new URL(request.url());
    if (["data:", "blob:", "about:"].includes(url.protocol)) return;
    if (!local.has(url.hostname)) foreign.push(`${request.method()} ${request.url()}`);
  });
  page.on("requestfinished", settle);
  page.on("requestfailed", (request) => {
    settle();
    failed.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`);
  });
  async function quiet(quietMs = 1_500, timeoutMs = TIMEOUTS.navigation): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (inFlight > 0 || Date.now() - lastActivity < quietMs) {
      if (Date.now() > deadline) {
        throw new Error(`the page's network was still busy after ${timeoutMs} ms (${inFlight} in flight)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { failed, foreign, quiet };
}
