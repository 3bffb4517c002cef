/**
 * The invite page's data block (`#invite-data`): what src/invite/view.ts writes (`satisfies`)
 * and page.ts reads, so that a change on either side is a type error on the other. Types only:
 * no code, valid both in the Worker and in the browser.
 */

/** A `fail` request's body (the test panel's are in the page data). */
export interface FailBody {
  reason: string;
  step?: string | undefined;
  message?: string | undefined;
  errorCode?: string | undefined;
  sessionId?: string | undefined;
}

/** The page's `#invite-data` block, as src/invite/view.ts writes it. */
export interface PageData {
  status: string;
  channel: "whatsapp" | "messenger";
  project: string;
  test: { code: string; unverified: string; noNumber: string; cancel: FailBody; error: FailBody } | null;
  meta: { sdkUrl: string; appId: string; version: string; configId: string; extras?: unknown } | null;
  text: Record<TextKey, string>;
  reasons: Record<string, string>;
  /** The number step (./verify.ts): the step the attempt is on, and its strings. */
  numberStep: string | null;
  numberText: Record<string, string>;
  /** Where the page sends the client back (the view's `returnUrl`), and its strings. */
  returnUrl: string | null;
  journey: JourneyText;
  /** The full-page redirect to Meta's OAuth dialog (./redirect.ts); absent on older pages. */
  redirect?: RedirectData;
}

/** The return link's strings (src/invite/page/journey.ts). */
export interface JourneyText {
  returnTo: string;
  returning: string;
  stay: string;
  backTo: string;
}

/** The gone page's `#return-data`: its return link's countdown (src/invite/page/return-page.ts). */
export interface ReturnPageData {
  project: string;
  text: JourneyText;
}

/** What ./redirect.ts needs: the partner's choice of numbers, whether the page is Meta's return. */
export interface RedirectData {
  /** The invitation's phoneNumberType (WhatsApp), or null (Meta's standard signup). */
  numberType: "cloud_api" | "business_app" | "any" | null;
  /** The page is where the OAuth dialog's callback sent the browser (a valid `landed` mark). */
  landed: boolean;
  text: {
    redirecting: string;
    chooseLegend: string;
    chooseCloudApi: string;
    chooseBusinessApp: string;
  };
}

export type TextKey =
  | "loading"
  | "sdkFailed"
  | "opening"
  | "starting"
  | "finishing"
  | "pickLegend"
  | "pickAction"
  | "pickNone"
  | "connectedHeading"
  | "connectedWhatsapp"
  | "connectedMessenger"
  | "retryHint"
  | "errorNetwork"
  | "errorGone"
  | "errorNotFound"
  | "errorOtherBrowser"
  | "errorBusy"
  | "errorTooMany"
  | "errorRateLimited"
  | "errorUnexpected"
  | "failedHeading"
  | "testReady"
  | "unavailable";
