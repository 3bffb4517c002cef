import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { splitE164 } from "../lib/phone-countries";
import type { ClientView } from "../onboarding/client-view";
import { INVITE_SCRIPT_PATH, INVITE_STYLE_PATH } from "./assets";
import { fill, formatCountries, formatDateTime, LANGUAGES, type Language } from "./language";
import type { PageData } from "./page/data";

type View = ClientView["invitation"];
type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface OpenPage {
  language: Language;
  nonce: string;
  view: View;
  /** Meta's SDK and ids, for a live page; null in test mode (the page then names no Meta host). */
  meta: { sdkUrl: string; appId: string; version: string; configId: string } | null;
  /** The partner's clientEmail and clientPhone, for Embedded Signup's prefill (live page only). */
  prefill?: { email: string | null; phone: string | null };
}

function layout(language: Language, nonce: string, title: string, body: Markup, tail: Markup = html``) {
  return html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title}</title>
<link rel="stylesheet" href="${INVITE_STYLE_PATH}" nonce="${nonce}">
</head>
<body>
<main>
${body}
</main>
${tail}
</body>
</html>`;
}

/** JSON for a `<script type="application/json">` block: no `<` can end the element early. */
function dataBlock(data: unknown): HtmlEscapedString | Promise<HtmlEscapedString> {
  const json = JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return raw(json);
}

/**
 * Embedded Signup v4's `extras` (docs/meta.md): the prefill (`setup.business`: name, email,
 * phone as `{ code, number }`) from what the partner told us about the client; `version` "v4"
 * and `sessionInfoVersion` "3" (the FINISH/CANCEL messages; Meta's v4 page sends an empty
 * `extras` because the configuration fixes the version, open implementations still send both,
 * and Meta ignores what the configuration decides); `featureType` "" is the default flow.
 */
export function signupExtras(view: View, prefill: OpenPage["prefill"] = { email: null, phone: null }) {
  const phone = prefill.phone ? splitE164(prefill.phone) : null;
  const business = {
    ...(view.clientName ? { name: view.clientName } : {}),
    ...(prefill.email ? { email: prefill.email } : {}),
    ...(phone ? { phone } : {}),
  };
  return {
    setup: Object.keys(business).length > 0 ? { business } : {},
    featureType: "",
    sessionInfoVersion: "3",
    version: "v4",
  };
}

/** The page of an open invitation (pending, in progress or failed): the one action, and the script. */
export function invitationPage({ language, nonce, view, meta, prefill }: OpenPage) {
  const m = LANGUAGES[language];
  const messenger = view.connectionType === "messenger";
  const channel = messenger ? m.page.channelMessenger : m.page.channelWhatsapp;
  const values = { project: view.partnerName, client: view.clientName ?? "", channel };
  const invites = fill(view.clientName ? m.page.invites : m.page.invitesYou, values);
  const reason = view.failureReason ?? "";
  const reasonText = Object.hasOwn(m.reasons, reason)
    ? m.reasons[reason as keyof typeof m.reasons]
    : m.script.errorUnexpected;

  const outcome =
    view.status === "failed"
      ? html`<h2 tabindex="-1">${m.page.failedHeading}</h2><p>${reasonText}</p><p>${m.script.retryHint}</p>`
      : view.status === "in_progress"
        ? html`<p>${m.page.resume}</p>`
        : "";
  const data = {
    status: view.status,
    channel: messenger ? "messenger" : "whatsapp",
    project: view.partnerName,
    // Test mode's panel: the requests it sends. `fake.ok.<random>` is a code the
    // built-in fake of Meta (src/meta/fake.ts) accepts once, as Meta does a real one.
    test: view.testMode
      ? {
          code: "fake.ok.",
          unverified: "fake.unverified.",
          noNumber: "fake.no_phone_number.",
          cancel: { reason: "fb_cancelled", step: "PHONE_NUMBER_SETUP" },
          error: { reason: "internal_error", message: "Simulated error" },
        }
      : null,
    meta: meta && { ...meta, extras: messenger ? undefined : signupExtras(view, prefill) },
    text: {
      ...m.script,
      failedHeading: m.page.failedHeading,
      testReady: m.page.testExplain,
      unavailable: m.page.unavailable,
    },
    reasons: m.reasons,
    numberStep: view.status === "in_progress" ? view.onboardingStep : null,
    numberText: m.number,
  } satisfies PageData;

  const body = html`<h1>${invites}</h1>
<p class="muted">${fill(m.page.expires, { date: formatDateTime(language, Date.parse(view.expiresAt)) })}</p>
${view.assignedPhoneNumber ? html`<p>${fill(m.page.assignedNumber, { number: view.assignedPhoneNumber })}</p>` : ""}
${
  view.allowedPhoneCountries?.length
    ? html`<p>${fill(m.page.allowedCountries, { countries: formatCountries(language, view.allowedPhoneCountries) })}</p>`
    : ""
}
${view.testMode ? html`<p class="note" data-before>${m.page.testNotice}</p>` : ""}
<div id="outcome">${outcome}</div>
<p data-before>${messenger ? m.page.explainMessenger : m.page.explainWhatsapp}</p>
<button id="action" type="button" disabled>${messenger ? m.page.actionMessenger : m.page.actionWhatsapp}</button>
${
  view.testMode
    ? html`<section id="test-panel" aria-labelledby="test-heading" hidden>
<h2 id="test-heading">${m.page.testHeading}</h2>
<p>${m.page.testExplain}</p>
<button type="button" data-outcome="success">${m.simulate.success}</button>
<button type="button" data-outcome="cancel">${m.simulate.cancel}</button>
<button type="button" data-outcome="error">${m.simulate.error}</button>
${
  messenger
    ? ""
    : html`<button type="button" data-outcome="unverified">${m.simulate.unverified}</button>
<button type="button" data-outcome="noNumber">${m.simulate.noNumber}</button>`
}
</section>`
    : ""
}
<div id="extra"></div>
<p id="progress"></p>
<p id="live" class="sr-only" role="status" aria-live="polite"></p>
<noscript><p class="error">${m.page.noscript}</p></noscript>`;

  const tail = html`<script type="application/json" id="invite-data">${dataBlock(data)}</script>
<script src="${INVITE_SCRIPT_PATH}" nonce="${nonce}"></script>`;
  return layout(language, nonce, messenger ? m.page.titleMessenger : m.page.titleWhatsapp, body, tail);
}

/**
 * An open live invitation on a deployed Worker without a Meta app: a clear error, no action, no
 * script (and so nothing to simulate).
 */
export function unavailablePage(language: Language, nonce: string, view: View) {
  const m = LANGUAGES[language];
  const messenger = view.connectionType === "messenger";
  const channel = messenger ? m.page.channelMessenger : m.page.channelWhatsapp;
  const values = { project: view.partnerName, client: view.clientName ?? "", channel };
  const invites = fill(view.clientName ? m.page.invites : m.page.invitesYou, values);
  const body = html`<h1>${invites}</h1>
<p class="error" id="unavailable" role="alert">${m.page.unavailable}</p>`;
  return layout(language, nonce, messenger ? m.page.titleMessenger : m.page.titleWhatsapp, body);
}

/** 410: cancelled, expired or already used. Says nothing about the partner or the client. */
export function gonePage(language: Language, nonce: string, status: "cancelled" | "expired" | "completed") {
  const m = LANGUAGES[language].gone;
  return layout(language, nonce, m.title, html`<h1>${m.heading}</h1><p>${m[status]}</p>`);
}

export function notFoundPage(language: Language, nonce: string) {
  const m = LANGUAGES[language].notFound;
  return layout(language, nonce, m.title, html`<h1>${m.heading}</h1><p>${m.text}</p>`);
}
