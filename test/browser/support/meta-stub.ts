/**
 * Meta, in the browser, without Meta: Playwright routes every request of the browser context.
 * Localhost goes through; Meta's SDK URL gets the stub SDK (fixtures/meta-sdk-stub.js); Meta's
 * login window (https://www.facebook.com/...) gets a page that plays the scenario the test set
 * for this attempt; the look-alike hosts a test names get a page that posts spoofed messages to
 * the invite page. Anything else is aborted and listed in `unexpected`: nothing leaves the machine.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";

const STUB_SDK = readFileSync(path.join(import.meta.dirname, "..", "fixtures", "meta-sdk-stub.js"), "utf8");
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** What Meta's login window does in one attempt. */
export interface LoginScenario {
  /** FB.login's response: a code, or none (window closed, declined). */
  response: { status: string; authResponse: { code: string } | null };
  /** Messages the window posts to the invite page (objects, or strings of JSON as Meta also sends). */
  messages?: unknown[];
  /** Deliver the code first, then the messages (default: messages first, code when the window closes). */
  codeFirst?: boolean;
  /** Frames from look-alike origins inside the window, each posting `spoof` to the invite page. */
  spoofFrom?: string[];
  spoof?: unknown[];
}

export function finishMessage(data: Record<string, string>, event = "FINISH") {
  return { type: "WA_EMBEDDED_SIGNUP", event, data };
}

function loginWindow(s: LoginScenario): string {
  const frames = (s.spoofFrom ?? [])
    .map((origin) => `<iframe src="${origin}/spoof" onload="this.dataset.loaded = 1"></iframe>`)
    .join("");
  return `<!doctype html><html lang="en"><title>Meta login (stub)</title><body>${frames}<script>
const s = ${JSON.stringify(s)};
const send = (m) => window.opener.postMessage(m, "*");
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  // The look-alike frames post as they load: let them all have loaded (and posted) first.
  for (let i = 0; i < 100 && document.querySelectorAll("iframe:not([data-loaded])").length > 0; i++) await wait(50);
  send({ metaSdkStub: { response: s.response, now: !!s.codeFirst } });
  if (s.codeFirst) await wait(400);
  for (const m of s.messages || []) send(m);
  await wait(100);
  window.close();
})();
</script></body></html>`;
}

function spoofPage(messages: unknown[]): string {
  return `<!doctype html><html lang="en"><title>look-alike</title><body><script>
for (const m of ${JSON.stringify(messages)}) window.top.opener.postMessage(m, "*");
</script></body></html>`;
}

/** Routes the context as described above; `next` is the scenario of the next login window. */
export async function routeMeta(context: BrowserContext) {
  const state = {
    next: undefined as LoginScenario | undefined,
    spoof: [] as unknown[],
    spoofOrigins: [] as string[],
    sdkRequests: [] as string[],
    loginWindows: [] as string[],
    spoofFrames: [] as string[],
    unexpected: [] as string[],
  };
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    const html = (body: string) =>
      route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body });
    if (LOCAL_HOSTS.has(url.hostname) || url.protocol === "data:") return route.continue();
    if (
      url.origin === "https://connect.facebook.net" &&
      /^\/[a-z]{2}_[A-Z]{2}\/sdk\.js$/.test(url.pathname)
    ) {
      state.sdkRequests.push(url.href);
      return route.fulfill({ status: 200, contentType: "text/javascript", body: STUB_SDK });
    }
    if (url.origin === "https://www.facebook.com" && url.pathname.includes("/dialog/oauth")) {
      state.loginWindows.push(url.href);
      const scenario = state.next;
      state.next = undefined;
      if (!scenario) return route.abort();
      state.spoof = scenario.spoof ?? [];
      state.spoofOrigins = scenario.spoofFrom ?? [];
      return html(loginWindow(scenario));
    }
    if (url.pathname === "/spoof" && state.spoofOrigins.includes(url.origin)) {
      state.spoofFrames.push(url.origin);
      return html(spoofPage(state.spoof));
    }
    state.unexpected.push(url.href);
    return route.abort();
  });
  return state;
}
