/**
 * The invite page's script, for the browser: built by scripts/docs-assets.ts (esbuild: types
 * stripped, wrapped in one function) into public/invite-assets/page.js, a static asset
 * (wrangler.toml [assets]) loaded by the page with `<script src nonce>`: the CSP nonce
 * authorizes it as it would an inline script, and it costs the Worker bundle (the cold start)
 * nothing. No client framework; type-checked against the DOM (./tsconfig.json); the browser suite
 * (test/browser/) runs it for real in Chromium.
 *
 * It reads its data from the page (`#invite-data`: status, channel, Meta's ids, its strings;
 * src/invite/view.ts), then drives the flow endpoints, `POST <this path>/start|complete|pages|fail`:
 * - live: loads Meta's SDK, `FB.init`, and on click `FB.login` (code flow, the configuration
 *   of the connection type). The code (login callback) and the `WA_EMBEDDED_SIGNUP` message
 *   (window `message`, only from https://facebook.com or https://*.facebook.com) come in either
 *   order; it submits once both are there, or 3 s after the code alone (the server finds the
 *   WABA from the token). No code: CANCEL with a step -> fb_cancelled, CANCEL with an error ->
 *   internal_error (with Meta's message), declined -> fb_not_authorized, else signup_abandoned.
 * - test mode: the button opens an in-page panel whose three buttons drive the same endpoints
 *   against the server's built-in fake of Meta; no other host is contacted.
 * - Messenger: `pages` with the code; one Page is connected at once, several are offered as a
 *   radio group.
 * - WhatsApp, Embedded Signup v4: a `complete` that answers `in_progress` with `onboardingStep`
 *   (a number not verified, or none) continues with the number step (./verify.ts).
 * The action button is disabled while an attempt runs: nothing is submitted twice.
 * The attempt's secret (`attemptSecret` of `start`) is kept in sessionStorage, per link and per
 * tab, and sent as X-Attempt-Secret on every step: a reload keeps the attempt, another tab or
 * browser cannot act on it.
 */

import type { PageData } from "./data";
import { el, fill } from "./dom";
import { markStep, showOutcome } from "./journey";
import { inApp, popupExtras, renderChoice, toDialog } from "./redirect";
import { numberStep } from "./verify";

/** The client's view of the invitation, as the flow endpoints answer it. */
interface Invitation {
  status?: string;
  /** Embedded Signup v4: the number is added or verified on this page (./verify.ts). */
  onboardingStep?: string | null;
  failureReason?: string;
  connectedAccount?: { phoneNumber?: string; name?: string; id?: string };
  returnUrl?: string | null;
}

/** What a flow endpoint answers (a view, `start`'s secret, `pages`' list) or its `Error`. */
interface Reply extends Invitation {
  invitation?: Invitation;
  problem?: { code: string; retryAfter: number | null } | null;
  dialogUrl?: unknown;
  attemptSecret?: unknown;
  pages?: { id: string; name?: string }[];
  code?: unknown;
  details?: { reason?: unknown };
}

/** What the page tells the client when a step fails. */
interface Problem {
  text: string;
  final?: boolean;
  status?: number;
  code?: unknown;
}

/** An Embedded Signup message's `data`, and its event. */
type SignupData = Record<string, unknown>;

/** One live attempt: what Meta's callback and window messages have said so far. */
interface Attempt {
  started: Promise<unknown>;
  timer: number;
  done?: boolean;
  loginDone?: boolean;
  code?: string | null;
  declined?: boolean;
  finish?: SignupData;
  cancel?: SignupData;
  waited?: boolean;
}

interface LoginResponse {
  status?: string;
  authResponse?: { code?: string } | null;
}

/** Meta's JavaScript SDK, as much of it as the page uses. */
declare const FB: {
  init(options: {
    appId: string;
    version: string;
    autoLogAppEvents: boolean;
    xfbml: boolean;
    cookie: boolean;
  }): void;
  login(callback: (response: LoginResponse) => void, options: Record<string, unknown>): void;
};

declare global {
  interface Window {
    fbAsyncInit?: () => void;
  }
}

// The page always has these elements (src/invite/view.ts); the test panel only in test mode.
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const D = JSON.parse($("invite-data").textContent ?? "") as PageData;
const T = D.text;
const action = $<HTMLButtonElement>("action");
const live = $("live");
const progress = $("progress");
const outcome = $("outcome");
const extra = $("extra");
const panel = document.getElementById("test-panel");
const base = location.pathname.replace(/\/+$/, "");
const messenger = D.channel === "messenger";
let status = D.status;
let busy = false;
let attempt: Attempt | null = null;
let sdkReady = false;
// This tab's attempt secret for this link (sessionStorage: survives a reload, not a new tab).
const KEY = `invite-attempt:${base}`;
const store = {
  get: (): string | null => {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set: (v: string) => {
    try {
      sessionStorage.setItem(KEY, v);
    } catch {}
  },
};

// Announced by the (visually hidden) live region; shown too unless the page already shows it.
const say = (text: string, shown = true) => {
  live.textContent = text;
  progress.textContent = shown ? text : "";
};
// Meta's values, cut to what the endpoints accept (step 100 characters, message 500).
const str = (v: unknown, max = 100) =>
  typeof v === "string" || typeof v === "number" ? String(v).slice(0, max) : undefined;

function ready() {
  busy = false;
  action.hidden = false;
  action.disabled = !(D.test || sdkReady || inApp);
}
function working(text: string) {
  busy = true;
  action.disabled = true;
  outcome.replaceChildren();
  showOutcome(outcome, null, null, D.journey, D.project);
  markStep("in_progress");
  say(text);
}
function heading(text: string, ...paras: string[]) {
  const h = el("h2", { textContent: text, tabIndex: -1 });
  outcome.replaceChildren(h, ...paras.map((p) => el("p", { textContent: p })));
  h.focus();
}
function show(view: Reply) {
  const inv: Invitation = view?.invitation || view || {};
  status = inv.status || status;
  extra.replaceChildren();
  if (status === "completed") {
    const acc = inv.connectedAccount || {};
    const name = acc.phoneNumber
      ? acc.phoneNumber + (acc.name ? ` (${acc.name})` : "")
      : acc.name || acc.id || "";
    const text = fill(messenger ? T.connectedMessenger : T.connectedWhatsapp, { name, project: D.project });
    action.hidden = true;
    for (const e of document.querySelectorAll<HTMLElement>("[data-before]")) e.hidden = true;
    heading(T.connectedHeading, text);
    markStep(status);
    showOutcome(outcome, "success", inv.returnUrl, D.journey, D.project);
    say(text, false);
  } else if (status === "failed") {
    const reason = inv.failureReason;
    const why =
      reason !== undefined && Object.hasOwn(D.reasons, reason)
        ? (D.reasons[reason] ?? T.errorUnexpected)
        : T.errorUnexpected;
    ready();
    heading(T.failedHeading, why, T.retryHint);
    markStep(status);
    showOutcome(outcome, "failure", inv.returnUrl, D.journey, D.project);
    say(`${why} ${T.retryHint}`, false);
  } else if (inv.onboardingStep) {
    ready();
    outcome.replaceChildren();
    startNumberStep(inv.onboardingStep);
  } else {
    markStep(status);
    ready();
  }
}
// The number step lends the page's calls and outcome handling.
function startNumberStep(step: string) {
  numberStep(
    {
      post: (s, body) => post(s, body),
      show: (v) => show(v as Reply),
      fail: problem,
      say,
      area: extra,
      text: D.numberText,
      test: !!D.test,
      language: document.documentElement.lang || "en",
    },
    step,
  );
}
function problem(e: unknown) {
  const text = (e as Partial<Problem> | null | undefined)?.text || T.errorUnexpected;
  attempt = null;
  extra.replaceChildren();
  if (panel) panel.hidden = true;
  ready();
  if ((e as Partial<Problem> | null | undefined)?.final) action.disabled = true;
  outcome.replaceChildren(el("p", { className: "error", textContent: text }));
  say(text, false);
  if (!action.disabled) action.focus();
}

async function post(step: string, body: unknown): Promise<Reply> {
  let res: Response;
  let json: Reply | null = null;
  try {
    const secret = store.get();
    res = await fetch(`${base}/${step}`, {
      method: "POST",
      headers: Object.assign<Record<string, string>, Record<string, string>>(
        { "Content-Type": "application/json", Accept: "application/json" },
        secret ? { "X-Attempt-Secret": secret } : {},
      ),
      body: JSON.stringify(body),
      cache: "no-store",
    });
    json = await res.json().catch(() => null);
  } catch {
    throw { text: T.errorNetwork } satisfies Problem;
  }
  if (res.ok) {
    if (json && typeof json.attemptSecret === "string") store.set(json.attemptSecret);
    return json as Reply;
  }
  const s = res.status;
  const why = json?.details?.reason;
  throw {
    status: s,
    code: json?.code,
    final: s === 404 || s === 410 || why === "meta_not_configured",
    text:
      s === 410
        ? T.errorGone
        : s === 404
          ? T.errorNotFound
          : s === 401
            ? T.errorOtherBrowser
            : why === "attempt_running"
              ? T.errorBusy
              : why === "attempt_cap"
                ? T.errorTooMany
                : why === "meta_not_configured"
                  ? T.unavailable
                  : s === 429
                    ? T.errorRateLimited
                    : T.errorUnexpected,
  } satisfies Problem;
}
// A new attempt: from pending or failed, or in place of this tab's own running one (the server
// gives that up when the secret comes with the start).
function start() {
  return post("start", {}).then((v) => {
    status = "in_progress";
    return v;
  });
}

// The code is Meta's (live) or the fake's (test). Resolves to the view, or null while the client picks a Page.
async function connect(code: string, hints: Record<string, unknown>): Promise<Reply | null> {
  say(T.finishing);
  if (!messenger) return post("complete", Object.assign({ code }, hints));
  return offerPages(await post("pages", { code }));
}
// Messenger: one Page connects at once, several are offered. (After Meta's full-page dialog the
// callback exchanged the code: `pages` without one answers the list.)
function offerPages(res: Reply): Promise<Reply | null> | Reply | null {
  const pages = res?.pages || [];
  const [first] = pages;
  if (first === undefined) return res;
  if (pages.length === 1) return post("complete", { pageId: first.id });
  pick(pages);
  return null;
}
function pick(pages: { id: string; name?: string }[]) {
  const set = el("fieldset", {}, el("legend", { textContent: T.pickLegend }));
  pages.forEach((p, i) => {
    const input = el("input", { type: "radio", name: "page", value: p.id, id: `page-${i}` });
    set.append(
      el(
        "div",
        { className: "choice" },
        input,
        el("label", { htmlFor: input.id, textContent: p.name || p.id }),
      ),
    );
  });
  const go = el("button", { type: "button", textContent: T.pickAction });
  go.addEventListener("click", () => {
    const chosen = set.querySelector<HTMLInputElement>("input:checked");
    if (go.disabled) return;
    if (!chosen) return say(T.pickNone);
    go.disabled = true;
    set.disabled = true;
    say(T.finishing);
    post("complete", { pageId: chosen.value }).then(show, problem);
  });
  extra.replaceChildren(set, go);
  say(T.pickLegend, false);
  set.querySelector("input")?.focus();
}
const settleWith = (promise: Promise<Reply | null>) => promise.then((v) => v && show(v), problem);

// Test mode: the panel stands in for Meta's window.
function openPanel() {
  working(T.starting);
  start().then(() => {
    if (panel) panel.hidden = false;
    say(T.testReady, false);
    panel?.querySelector("button")?.focus();
  }, problem);
}
function simulate(name: string | undefined) {
  const test = D.test;
  if (!panel || !test) return;
  const buttons = panel.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  const close = () => {
    panel.hidden = true;
    for (const b of buttons) b.disabled = false;
  };
  // A fake code is single-use like Meta's: a new one for each attempt.
  const code = test.code + Date.now().toString(36) + Math.random().toString(36).slice(2);
  // Unverified number and no number: Meta's window finishes, then the page's number step.
  const scenario = name === "unverified" ? test.unverified : name === "noNumber" ? test.noNumber : null;
  const work =
    name === "success" || scenario
      ? connect((scenario ?? test.code) + code.slice(test.code.length), { event: "FINISH" })
      : post("fail", test[name as "cancel" | "error"]);
  settleWith(
    work.then(
      (v) => {
        close();
        return v;
      },
      (e) => {
        close();
        throw e;
      },
    ),
  );
}

// Live: Meta's SDK, its login callback and its window's messages.
function settle(a: Attempt) {
  if (a.done || attempt !== a) return;
  const conclude = (work: () => Promise<Reply | null>) => {
    a.done = true;
    clearTimeout(a.timer);
    settleWith(a.started.then(work));
  };
  if (a.code) {
    const code = a.code;
    if (a.finish || a.waited || messenger) return conclude(() => connect(code, hints(a.finish)));
  } else if (a.loginDone) {
    const c = a.cancel;
    if (c && (c.error_message || c.error_code || c.error_id)) {
      const message = str(c.error_message, 500) || `Meta error ${str(c.error_code || c.error_id)}`;
      const errorCode = str(c.error_code || c.error_id, 100) || undefined;
      const sessionId = str(c.session_id, 100) || undefined;
      return conclude(() =>
        post("fail", { reason: "internal_error", step: str(c.current_step), message, errorCode, sessionId }),
      );
    }
    if (c) return conclude(() => post("fail", { reason: "fb_cancelled", step: str(c.current_step) }));
    if (a.declined) return conclude(() => post("fail", { reason: "fb_not_authorized" }));
    // No code and nothing from Meta's window: the popup was blocked or came back empty. The
    // same attempt continues in Meta's dialog as a full page.
    if (a.waited || messenger) return conclude(() => toDialog(D, post, say));
  } else return;
  if (!a.timer)
    a.timer = setTimeout(
      () => {
        a.waited = true;
        settle(a);
      },
      a.code ? 3000 : 1500,
    );
}
function hints(f: SignupData | undefined): Record<string, unknown> {
  // Meta's ids are digits; anything else is not a hint worth sending.
  const id = (v: unknown) => (/^\d{1,32}$/.test(String(str(v, 33))) ? String(v) : undefined);
  return f
    ? {
        event: f.event,
        wabaId: id(f.waba_id),
        phoneNumberId: id(f.phone_number_id),
        businessId: id(f.business_id),
      }
    : {};
}
function login() {
  if (inApp) {
    // In-app browsers: no popup at all, Meta's dialog as a full page.
    working(T.starting);
    settleWith(start().then(() => toDialog(D, post, say)));
    return;
  }
  working(T.opening);
  const a: Attempt = { started: start(), timer: 0 };
  attempt = a;
  a.started.catch(() => {});
  const options: Record<string, unknown> = {
    config_id: D.meta?.configId,
    response_type: "code",
    override_default_response_type: true,
  };
  if (!messenger) options.extras = popupExtras(D);
  // Synchronously inside the click: browsers allow the popup only then.
  FB.login((r) => {
    const code = r?.authResponse?.code;
    Object.assign(a, {
      loginDone: true,
      code: code || null,
      declined: !code && r?.status === "not_authorized",
    });
    settle(a);
  }, options);
}
function fromFacebook(origin: string) {
  try {
    const u = new URL(origin);
    return u.protocol === "https:" && (u.hostname === "facebook.com" || u.hostname.endsWith(".facebook.com"));
  } catch {
    return false;
  }
}
window.addEventListener("message", (event) => {
  const a = attempt;
  if (!a || a.done || messenger || !fromFacebook(event.origin)) return;
  let m: unknown = event.data;
  if (typeof m === "string") {
    try {
      m = JSON.parse(m);
    } catch {
      return;
    }
  }
  if (!m || typeof m !== "object") return;
  const message = m as { type?: unknown; event?: unknown; data?: unknown };
  if (message.type !== "WA_EMBEDDED_SIGNUP" || typeof message.event !== "string") return;
  const data = (message.data && typeof message.data === "object" ? message.data : {}) as SignupData;
  if (message.event.startsWith("FINISH"))
    a.finish = Object.assign({}, data, { event: message.event.slice(0, 100) });
  else if (message.event === "CANCEL") a.cancel = data;
  else if (message.event === "ERROR")
    a.cancel = Object.assign({ error_message: "Meta reported an error" }, data);
  else return;
  settle(a);
});

action.addEventListener("click", () => {
  if (busy) return;
  if (D.test) openPanel();
  else if (sdkReady || inApp) login();
});
// A reload in the number step, or Meta's dialog sending a parked attempt back to this tab (the
// full-page redirect): this tab's attempt continues where it was.
const parkedStep = D.numberStep;
const resumeNumberStep =
  parkedStep && store.get()
    ? () => show({ invitation: { status: "in_progress", onboardingStep: parkedStep } })
    : null;
renderChoice(D, action);
if (status === "completed") {
  // Back from Meta's dialog, connected: the server rendered the outcome.
  action.hidden = true;
  for (const e of document.querySelectorAll<HTMLElement>("[data-before]")) e.hidden = true;
  outcome.querySelector("h2")?.focus();
} else if (D.redirect?.landed && messenger && status === "in_progress") {
  // Back from Meta's dialog with several Pages: pick one.
  working(T.finishing);
  settleWith(post("pages", {}).then(offerPages));
} else if (D.test) {
  for (const b of panel?.querySelectorAll("button") ?? [])
    b.addEventListener("click", () => simulate(b.dataset.outcome));
  ready();
  if (resumeNumberStep) resumeNumberStep();
} else if (resumeNumberStep) {
  resumeNumberStep();
} else if (inApp) {
  ready();
} else if (D.meta) {
  const meta = D.meta;
  window.fbAsyncInit = () => {
    FB.init({
      appId: meta.appId,
      version: meta.version,
      autoLogAppEvents: false,
      xfbml: false,
      cookie: false,
    });
    sdkReady = true;
    if (!busy) ready();
    if (live.textContent === T.loading) say("", false);
  };
  const failed = () => {
    if (!sdkReady) say(T.sdkFailed);
  };
  const sdk = el("script", { src: meta.sdkUrl, async: true, crossOrigin: "anonymous" });
  sdk.addEventListener("error", failed);
  setTimeout(failed, 20000);
  say(T.loading);
  document.head.append(sdk);
}
