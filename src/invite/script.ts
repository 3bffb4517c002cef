/**
 * The invite page's script: plain browser JavaScript, served as a static asset at
 * INVITE_SCRIPT_PATH (scripts/docs-assets.ts writes it into public/, wrangler.toml [assets]) and
 * loaded by the page with `<script src nonce>`: the CSP nonce authorizes it as it would an inline
 * script, and it costs the Worker bundle (the cold start) nothing. It is a string, not a module:
 * no client framework and no build step, so it stays small and readable (the browser suite,
 * test/browser/, runs it for real in Chromium).
 *
 * It reads its data from the page (`#invite-data`: status, channel, Meta's ids, its strings),
 * then drives the flow endpoints, `POST <this path>/start|complete|pages|fail`:
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
 * The action button is disabled while an attempt runs: nothing is submitted twice.
 * The attempt's secret (`attemptSecret` of `start`) is kept in sessionStorage, per link and per
 * tab, and sent as X-Attempt-Secret on every step: a reload keeps the attempt, another tab or
 * browser cannot act on it.
 */
/**
 * Where the script is served (a static asset, answered before the Worker runs). Not
 * under /invite/, where a token could be any name, and not under /v1/.
 */
export const INVITE_SCRIPT_PATH = "/invite-assets/page.js";

export const INVITE_SCRIPT = `(() => {
"use strict";
const $ = (id) => document.getElementById(id);
const D = JSON.parse($("invite-data").textContent);
const T = D.text;
const action = $("action"), live = $("live"), progress = $("progress"), outcome = $("outcome"), extra = $("extra"), panel = $("test-panel");
const base = location.pathname.replace(/\\/+$/, "");
const messenger = D.channel === "messenger";
let status = D.status, busy = false, attempt = null, sdkReady = false;
// This tab's attempt secret for this link (sessionStorage: survives a reload, not a new tab).
const KEY = "invite-attempt:" + base;
const store = { get: () => { try { return sessionStorage.getItem(KEY); } catch { return null; } }, set: (v) => { try { sessionStorage.setItem(KEY, v); } catch {} } };

const el = (tag, props, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
const fill = (s, v) => s.replace(/\\{(\\w+)\\}/g, (m, k) => (k in v ? v[k] : m));
// Announced by the (visually hidden) live region; shown too unless the page already shows it.
const say = (text, shown = true) => { live.textContent = text; progress.textContent = shown ? text : ""; };
// Meta's values, cut to what the endpoints accept (step 100 characters, message 500).
const str = (v, max = 100) => (typeof v === "string" || typeof v === "number" ? String(v).slice(0, max) : undefined);

function ready() {
  busy = false;
  action.hidden = false;
  action.disabled = !(D.test || sdkReady);
}
function working(text) {
  busy = true;
  action.disabled = true;
  outcome.replaceChildren();
  say(text);
}
function heading(text, ...paras) {
  const h = el("h2", { textContent: text, tabIndex: -1 });
  outcome.replaceChildren(h, ...paras.map((p) => el("p", { textContent: p })));
  h.focus();
}
function show(view) {
  const inv = (view && view.invitation) || view || {};
  status = inv.status || status;
  extra.replaceChildren();
  if (status === "completed") {
    const acc = inv.connectedAccount || {};
    const name = acc.phoneNumber ? acc.phoneNumber + (acc.name ? " (" + acc.name + ")" : "") : acc.name || acc.id || "";
    const text = fill(messenger ? T.connectedMessenger : T.connectedWhatsapp, { name, project: D.project });
    action.hidden = true;
    for (const e of document.querySelectorAll("[data-before]")) e.hidden = true;
    heading(T.connectedHeading, text);
    say(text, false);
  } else if (status === "failed") {
    const why = Object.prototype.hasOwnProperty.call(D.reasons, inv.failureReason) ? D.reasons[inv.failureReason] : T.errorUnexpected;
    ready();
    heading(T.failedHeading, why, T.retryHint);
    say(why + " " + T.retryHint, false);
  } else {
    ready();
  }
}
function problem(e) {
  const text = (e && e.text) || T.errorUnexpected;
  attempt = null;
  extra.replaceChildren();
  if (panel) panel.hidden = true;
  ready();
  if (e && e.final) action.disabled = true;
  outcome.replaceChildren(el("p", { className: "error", textContent: text }));
  say(text, false);
  if (!action.disabled) action.focus();
}

async function post(step, body) {
  let res, json = null;
  try {
    res = await fetch(base + "/" + step, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, store.get() ? { "X-Attempt-Secret": store.get() } : {}),
      body: JSON.stringify(body),
      cache: "no-store",
    });
    json = await res.json().catch(() => null);
  } catch {
    throw { text: T.errorNetwork };
  }
  if (res.ok) {
    if (json && typeof json.attemptSecret === "string") store.set(json.attemptSecret);
    return json;
  }
  const s = res.status;
  const why = json && json.details && json.details.reason;
  throw {
    status: s,
    code: json && json.code,
    final: s === 404 || s === 410 || why === "meta_not_configured",
    text: s === 410 ? T.errorGone : s === 404 ? T.errorNotFound : s === 401 ? T.errorOtherBrowser
      : why === "attempt_running" ? T.errorBusy : why === "attempt_cap" ? T.errorTooMany
      : why === "meta_not_configured" ? T.unavailable : s === 429 ? T.errorRateLimited : T.errorUnexpected,
  };
}
// A new attempt: from pending or failed, or in place of this tab's own running one (the server
// gives that up when the secret comes with the start).
function start() {
  return post("start", {}).then((v) => { status = "in_progress"; return v; });
}

// The code is Meta's (live) or the fake's (test). Resolves to the view, or null while the client picks a Page.
async function connect(code, hints) {
  say(T.finishing);
  if (!messenger) return post("complete", Object.assign({ code }, hints));
  const res = await post("pages", { code });
  const pages = (res && res.pages) || [];
  if (pages.length === 0) return res;
  if (pages.length === 1) return post("complete", { pageId: pages[0].id });
  pick(pages);
  return null;
}
function pick(pages) {
  const set = el("fieldset", {}, el("legend", { textContent: T.pickLegend }));
  pages.forEach((p, i) => {
    const input = el("input", { type: "radio", name: "page", value: p.id, id: "page-" + i });
    set.append(el("div", { className: "choice" }, input, el("label", { htmlFor: input.id, textContent: p.name || p.id })));
  });
  const go = el("button", { type: "button", textContent: T.pickAction });
  go.addEventListener("click", () => {
    const chosen = set.querySelector("input:checked");
    if (go.disabled) return;
    if (!chosen) return say(T.pickNone);
    go.disabled = set.disabled = true;
    say(T.finishing);
    post("complete", { pageId: chosen.value }).then(show, problem);
  });
  extra.replaceChildren(set, go);
  say(T.pickLegend, false);
  set.querySelector("input").focus();
}
const settleWith = (promise) => promise.then((v) => v && show(v), problem);

// Test mode: the panel stands in for Meta's window.
function openPanel() {
  working(T.starting);
  start().then(() => {
    panel.hidden = false;
    say(T.testReady, false);
    panel.querySelector("button").focus();
  }, problem);
}
function simulate(name) {
  const buttons = panel.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  const close = () => { panel.hidden = true; for (const b of buttons) b.disabled = false; };
  // A fake code is single-use like Meta's: a new one for each attempt.
  const code = D.test.code + Date.now().toString(36) + Math.random().toString(36).slice(2);
  const work = name === "success" ? connect(code, { event: "FINISH" }) : post("fail", D.test[name]);
  settleWith(work.then((v) => { close(); return v; }, (e) => { close(); throw e; }));
}

// Live: Meta's SDK, its login callback and its window's messages.
function settle(a) {
  if (a.done || attempt !== a) return;
  const conclude = (work) => {
    a.done = true;
    clearTimeout(a.timer);
    settleWith(a.started.then(work));
  };
  if (a.code) {
    if (a.finish || a.waited || messenger) return conclude(() => connect(a.code, hints(a.finish)));
  } else if (a.loginDone) {
    const c = a.cancel;
    if (c && (c.error_message || c.error_code || c.error_id)) {
      const message = str(c.error_message, 500) || "Meta error " + str(c.error_code || c.error_id);
      return conclude(() => post("fail", { reason: "internal_error", step: str(c.current_step), message }));
    }
    if (c) return conclude(() => post("fail", { reason: "fb_cancelled", step: str(c.current_step) }));
    if (a.declined) return conclude(() => post("fail", { reason: "fb_not_authorized" }));
    if (a.waited || messenger) return conclude(() => post("fail", { reason: "signup_abandoned" }));
  } else return;
  if (!a.timer) a.timer = setTimeout(() => { a.waited = true; settle(a); }, a.code ? 3000 : 1500);
}
function hints(f) {
  // Meta's ids are digits; anything else is not a hint worth sending.
  const id = (v) => (/^\\d{1,32}$/.test(str(v, 33)) ? String(v) : undefined);
  return f ? { event: f.event, wabaId: id(f.waba_id), phoneNumberId: id(f.phone_number_id), businessId: id(f.business_id) } : {};
}
function login() {
  working(T.opening);
  const a = (attempt = { started: start(), timer: 0 });
  a.started.catch(() => {});
  const options = { config_id: D.meta.configId, response_type: "code", override_default_response_type: true };
  if (!messenger) options.extras = D.meta.extras;
  // Synchronously inside the click: browsers allow the popup only then.
  FB.login((r) => {
    const code = r && r.authResponse && r.authResponse.code;
    Object.assign(a, { loginDone: true, code: code || null, declined: !code && r && r.status === "not_authorized" });
    settle(a);
  }, options);
}
function fromFacebook(origin) {
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
  let m = event.data;
  if (typeof m === "string") {
    try { m = JSON.parse(m); } catch { return; }
  }
  if (!m || typeof m !== "object" || m.type !== "WA_EMBEDDED_SIGNUP" || typeof m.event !== "string") return;
  const data = m.data && typeof m.data === "object" ? m.data : {};
  if (m.event.startsWith("FINISH")) a.finish = Object.assign({}, data, { event: m.event.slice(0, 100) });
  else if (m.event === "CANCEL") a.cancel = data;
  else if (m.event === "ERROR") a.cancel = Object.assign({ error_message: "Meta reported an error" }, data);
  else return;
  settle(a);
});

action.addEventListener("click", () => {
  if (busy) return;
  if (D.test) openPanel();
  else if (sdkReady) login();
});
if (D.test) {
  for (const b of panel.querySelectorAll("button")) b.addEventListener("click", () => simulate(b.dataset.outcome));
  ready();
} else {
  window.fbAsyncInit = () => {
    FB.init({ appId: D.meta.appId, version: D.meta.version, autoLogAppEvents: false, xfbml: false, cookie: false });
    sdkReady = true;
    if (!busy) ready();
    if (live.textContent === T.loading) say("", false);
  };
  const failed = () => { if (!sdkReady) say(T.sdkFailed); };
  const sdk = el("script", { src: D.meta.sdkUrl, async: true, crossOrigin: "anonymous" });
  sdk.addEventListener("error", failed);
  setTimeout(failed, 20000);
  say(T.loading);
  document.head.append(sdk);
}
})();`;
