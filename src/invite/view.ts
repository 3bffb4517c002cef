import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { borderFor, textOn } from "../branding/contrast";
import { logoPath } from "../branding/logo";
import type { BrandingRow } from "../db/schema";
import { splitE164 } from "../lib/phone-countries";
import type { ClientView } from "../onboarding/client-view";
import { featureTypeFor } from "../onboarding/redirect";
import { INVITE_RETURN_SCRIPT_PATH, INVITE_SCRIPT_PATH, INVITE_STYLE_PATH } from "./assets";
import { fill, formatCountries, formatDateTime, LANGUAGES, type Language } from "./language";
import type { PageData, RedirectData, ReturnPageData } from "./page/data";

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
  /** The partner's branding in the invitation's mode, or null (the page then names the project). */
  branding?: BrandingRow | null;
  /** The redirect module's data (src/invite/page/redirect.ts). */
  redirect?: { numberType: RedirectData["numberType"]; landed: boolean };
}

/**
 * The accent as CSS custom properties, in the page's one nonce'd <style> (the CSP allows no
 * style attribute): the action's background, its text (black or white, whichever contrasts
 * more: always at least 4.5:1) and its border. The colour was checked as #RRGGBB on the way in.
 */
function accentStyle(branding: BrandingRow | null | undefined, nonce: string): Markup {
  const accent = branding?.accentColor;
  if (!accent || !/^#[0-9A-F]{6}$/i.test(accent)) return html``;
  return html`<style nonce="${nonce}">:root{--accent:${accent};--on-accent:${textOn(accent)};--accent-border:${borderFor(accent)}}</style>`;
}

/** Who invites: the logo (decorative: the name is beside it) and the name. */
function brandHeader(name: string, branding: BrandingRow | null | undefined): Markup {
  const logo = branding?.logoHash
    ? html`<img class="logo" src="${logoPath(branding.logoHash)}" alt="" width="48" height="48">`
    : "";
  return html`<header class="brand">${logo}<span class="brand-name">${name}</span></header>`;
}

/** The partner's help and policy links, when it gave any. */
function brandLinks(language: Language, branding: BrandingRow | null | undefined): Markup {
  const m = LANGUAGES[language].journey;
  const links = [
    branding?.supportUrl ? html`<a href="${branding.supportUrl}" rel="noreferrer">${m.help}</a>` : null,
    branding?.supportEmail ? html`<a href="mailto:${branding.supportEmail}">${m.contact}</a>` : null,
    branding?.privacyPolicyUrl
      ? html`<a href="${branding.privacyPolicyUrl}" rel="noreferrer">${m.privacy}</a>`
      : null,
    branding?.termsUrl ? html`<a href="${branding.termsUrl}" rel="noreferrer">${m.terms}</a>` : null,
  ].filter((link) => link !== null);
  if (links.length === 0) return html``;
  return html`<footer class="links"><nav aria-label="${m.linksLabel}"><ul>${links.map((l) => html`<li>${l}</li>`)}</ul></nav></footer>`;
}

/** The three steps and where the client is (the script moves it: page/journey.ts). */
const STEP_OF: Record<string, number> = { pending: 0, failed: 0, in_progress: 1, completed: 2 };
function steps(language: Language, status: string): Markup {
  const m = LANGUAGES[language].journey;
  const at = STEP_OF[status] ?? 0;
  const items = [
    ["open", m.stepOpen],
    ["connect", m.stepConnect],
    ["done", m.stepDone],
  ] as const;
  return html`<ol id="steps" class="steps" aria-label="${m.stepsLabel}">${items.map(([name, label], i) => {
    const state = i < at || status === "completed" ? "done" : i === at ? "current" : "todo";
    return html`<li data-step="${name}" data-state="${state}"${i === at ? raw(' aria-current="step"') : ""}><span class="dot" aria-hidden="true">${i + 1}</span><span class="label">${label}</span></li>`;
  })}</ol>`;
}

/** The server-rendered return link of a page loaded after the attempt ended. */
function returnLink(language: Language, view: View, kind: "success" | "failure"): Markup {
  if (!view.returnUrl) return html``;
  const m = LANGUAGES[language].journey;
  const text = fill(kind === "success" ? m.returnTo : m.backTo, { project: view.partnerName });
  return html`<p class="return"><a id="return-link" class="return-link${kind === "success" ? " primary" : ""}" href="${view.returnUrl}" rel="noreferrer">${text}</a></p>`;
}

function layout(
  language: Language,
  nonce: string,
  title: string,
  body: Markup,
  tail: Markup = html``,
  head: Markup = html``,
) {
  return html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title}</title>
<link rel="stylesheet" href="${INVITE_STYLE_PATH}" nonce="${nonce}">
${head}
</head>
<body>
<main class="card">
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
 * and Meta ignores what the configuration decides); `featureType` "" is the default flow,
 * `whatsapp_business_app_onboarding` coexistence (the invitation's phoneNumberType business_app).
 */
export function signupExtras(
  view: View,
  prefill: OpenPage["prefill"] = { email: null, phone: null },
  featureType = "",
) {
  const phone = prefill.phone ? splitE164(prefill.phone) : null;
  const business = {
    ...(view.clientName ? { name: view.clientName } : {}),
    ...(prefill.email ? { email: prefill.email } : {}),
    ...(phone ? { phone } : {}),
  };
  return {
    setup: Object.keys(business).length > 0 ? { business } : {},
    featureType,
    sessionInfoVersion: "3",
    version: "v4",
  };
}

/** The page of an open invitation (pending, in progress or failed): the one action, and the script. */
export function invitationPage({ language, nonce, view, meta, prefill, branding, redirect }: OpenPage) {
  const m = LANGUAGES[language];
  const messenger = view.connectionType === "messenger";
  const channel = messenger ? m.page.channelMessenger : m.page.channelWhatsapp;
  const values = { project: view.partnerName, client: view.clientName ?? "", channel };
  const invites = fill(view.clientName ? m.page.invites : m.page.invitesYou, values);
  const reason = view.failureReason ?? "";
  const reasonText = Object.hasOwn(m.reasons, reason)
    ? m.reasons[reason as keyof typeof m.reasons]
    : m.script.errorUnexpected;

  const connected = view.connectedAccount;
  const outcome =
    // Only after Meta's dialog sent the client back (a valid `landed` mark): the outcome here.
    view.status === "completed" && connected
      ? html`<h2 tabindex="-1">${m.script.connectedHeading}</h2><p>${fill(
          messenger ? m.script.connectedMessenger : m.script.connectedWhatsapp,
          {
            name: connected.phoneNumber
              ? connected.phoneNumber + (connected.name ? ` (${connected.name})` : "")
              : (connected.name ?? connected.id),
            project: view.partnerName,
          },
        )}</p>${returnLink(language, view, "success")}`
      : view.status === "failed"
        ? html`<h2 tabindex="-1">${m.page.failedHeading}</h2><p>${reasonText}</p><p>${m.script.retryHint}</p>${returnLink(language, view, "failure")}`
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
    meta: meta && {
      ...meta,
      extras: messenger ? undefined : signupExtras(view, prefill, featureTypeFor(redirect?.numberType) ?? ""),
    },
    text: {
      ...m.script,
      failedHeading: m.page.failedHeading,
      testReady: m.page.testExplain,
      unavailable: m.page.unavailable,
    },
    reasons: m.reasons,
    numberStep: view.status === "in_progress" ? view.onboardingStep : null,
    numberText: m.number,
    returnUrl: view.returnUrl,
    journey: {
      returnTo: m.journey.returnTo,
      returning: m.journey.returning,
      stay: m.journey.stay,
      backTo: m.journey.backTo,
    },
    redirect: {
      numberType: redirect?.numberType ?? null,
      landed: redirect?.landed ?? false,
      text: {
        redirecting: m.redirect.redirecting,
        chooseLegend: m.redirect.chooseLegend,
        chooseCloudApi: m.redirect.chooseCloudApi,
        chooseBusinessApp: m.redirect.chooseBusinessApp,
      },
    },
  } satisfies PageData;

  const body = html`${brandHeader(view.partnerName, branding)}
<h1>${invites}</h1>
<p class="muted">${fill(m.page.expires, { date: formatDateTime(language, Date.parse(view.expiresAt)) })}</p>
${view.assignedPhoneNumber ? html`<p>${fill(m.page.assignedNumber, { number: view.assignedPhoneNumber })}</p>` : ""}
${
  view.allowedPhoneCountries?.length
    ? html`<p>${fill(m.page.allowedCountries, { countries: formatCountries(language, view.allowedPhoneCountries) })}</p>`
    : ""
}
${view.testMode ? html`<p class="note" data-before>${m.page.testNotice}</p>` : ""}
${steps(language, view.status)}
<div id="outcome"${view.status === "failed" ? raw(' data-state="failure"') : ""}>${outcome}</div>
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
<noscript><p class="error">${m.page.noscript}</p></noscript>
${brandLinks(language, branding)}`;

  const tail = html`<script type="application/json" id="invite-data">${dataBlock(data)}</script>
<script src="${INVITE_SCRIPT_PATH}" nonce="${nonce}"></script>`;
  return layout(
    language,
    nonce,
    messenger ? m.page.titleMessenger : m.page.titleWhatsapp,
    body,
    tail,
    accentStyle(branding, nonce),
  );
}

/**
 * An open live invitation on a deployed Worker without a Meta app: a clear error, no action, no
 * script (and so nothing to simulate).
 */
export function unavailablePage(
  language: Language,
  nonce: string,
  view: View,
  branding: BrandingRow | null = null,
) {
  const m = LANGUAGES[language];
  const messenger = view.connectionType === "messenger";
  const channel = messenger ? m.page.channelMessenger : m.page.channelWhatsapp;
  const values = { project: view.partnerName, client: view.clientName ?? "", channel };
  const invites = fill(view.clientName ? m.page.invites : m.page.invitesYou, values);
  const body = html`${brandHeader(view.partnerName, branding)}
<h1>${invites}</h1>
<p class="error" id="unavailable" role="alert">${m.page.unavailable}</p>
${brandLinks(language, branding)}`;
  return layout(
    language,
    nonce,
    messenger ? m.page.titleMessenger : m.page.titleWhatsapp,
    body,
    html``,
    accentStyle(branding, nonce),
  );
}

/**
 * 410: cancelled, expired or already used. Says nothing about the partner or the client. A used
 * one whose partner gave a success return URL links there and goes there after a countdown
 * (return.js; the link says only "Continue").
 */
export function gonePage(
  language: Language,
  nonce: string,
  status: "cancelled" | "expired" | "completed",
  returnUrl: string | null = null,
) {
  const m = LANGUAGES[language].gone;
  const j = LANGUAGES[language].journey;
  if (status !== "completed" || !returnUrl) {
    return layout(language, nonce, m.title, html`<h1>${m.heading}</h1><p>${m[status]}</p>`);
  }
  const data = {
    project: "",
    text: { returnTo: j.continueAnon, returning: j.returningAnon, stay: j.stay, backTo: j.continueAnon },
  } satisfies ReturnPageData;
  const body = html`<h1>${m.heading}</h1>
<div id="outcome" data-state="success"><p>${m[status]}</p><p class="return"><a id="return-link" class="return-link primary" href="${returnUrl}" rel="noreferrer">${j.continueAnon}</a></p></div>`;
  const tail = html`<script type="application/json" id="return-data">${dataBlock(data)}</script>
<script src="${INVITE_RETURN_SCRIPT_PATH}" nonce="${nonce}"></script>`;
  return layout(language, nonce, m.title, body, tail);
}

/** The OAuth dialog's callback refused its `state`: nothing changed. No link (the state may be stolen). */
export function callbackProblemPage(
  language: Language,
  nonce: string,
  problem: "invalid" | "expired" | "used" | "otherBrowser" | "stale",
) {
  const m = LANGUAGES[language].redirect;
  return layout(
    language,
    nonce,
    m.callbackTitle,
    html`<h1>${m.callbackHeading}</h1><p id="callback-problem" data-problem="${problem}">${m[problem]}</p>`,
  );
}

export function notFoundPage(language: Language, nonce: string) {
  const m = LANGUAGES[language].notFound;
  return layout(language, nonce, m.title, html`<h1>${m.heading}</h1><p>${m.text}</p>`);
}
