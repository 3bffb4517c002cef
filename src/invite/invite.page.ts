/**
 * src/invite/ is the page a client's browser gets for a link (GET /invite/:token: its HTML, script,
 * stylesheet, languages and headers); what its buttons then do on the server (the flow endpoints,
 * the attempts, Meta) is src/onboarding/.
 */
import { markViewed } from "../invitations/lifecycle";
import { readConfig } from "../lib/config";
import { ApiError } from "../lib/errors";
import { createRouter } from "../lib/openapi";
import { isMetaMissing, isTestMode, metaConfig } from "../meta/config";
import { clientView, findByToken } from "../onboarding/client-view";
import { isLanded } from "../onboarding/redirect";
import { newNonce, pageHeaders } from "./headers";
import { invitePageRoute } from "./invite.route";
import { chooseLanguage, SDK_LOCALES } from "./language";
import { gonePage, invitationPage, notFoundPage, unavailablePage } from "./view";

// For JSON clients (English: the `Error` messages of the API are English).
const CLOSED_MESSAGES = {
  cancelled: "This invitation was cancelled by the sender. Ask them for a new link.",
  expired: "This invitation has expired. Ask the sender for a new link.",
  completed: "This invitation has already been used: the account is connected.",
} as const;

function wantsHtml(accept: string | undefined): boolean {
  return accept?.toLowerCase().includes("text/html") ?? false;
}

/**
 * `GET /invite/:token`, the link a partner's client opens (rate-limited per client address by
 * the app, like every route outside /v1). Browsers get an HTML page in their language (also for
 * a link that no longer works: 404 or 410); other clients get the client's view as JSON, with
 * errors in the contract's `Error` shape. The page's script then drives the flow endpoints
 * (`POST /invite/:token/start|complete|pages|fail`, src/onboarding/).
 */
export const invitePage = createRouter().openapi(invitePageRoute, async (c) => {
  const asHtml = wantsHtml(c.req.header("Accept"));
  let language = chooseLanguage(c.req.header("Accept-Language"));
  const config = readConfig(c.env, c.req.url);
  const now = c.get("now")();
  const nonce = newNonce();

  const found = await findByToken(c.get("db"), config.tokenHashKey, c.req.valid("param").token);
  if (!found) {
    if (!asHtml) throw new ApiError("not_found", "No invitation for this link");
    return c.html(notFoundPage(language, nonce), 404, pageHeaders("static", nonce));
  }

  const { invitation, projectName, assignedPhoneNumber, connectedPhoneNumber, branding } = found;
  // The partner's choice of language wins over the browser's.
  language = invitation.language ?? language;
  const testMode = isTestMode(c.env, invitation);
  const view = clientView(
    invitation,
    { projectName, assignedPhoneNumber, connectedPhoneNumber, testMode },
    now,
  );
  const status = view.invitation.status;
  // Back from Meta's OAuth dialog (the callback's signed mark): the outcome, even once completed.
  const landed = asHtml && (await isLanded(config.tokenHashKey, invitation, c.req.query("landed"), now));
  if (status === "cancelled" || status === "expired" || (status === "completed" && !landed)) {
    if (!asHtml) throw new ApiError("gone", CLOSED_MESSAGES[status], { details: { status } });
    // A used link whose partner gave a success return URL still takes the client back.
    const back = status === "completed" ? view.invitation.returnUrl : null;
    return c.html(
      gonePage(language, nonce, status, back),
      410,
      pageHeaders(back ? "return" : "static", nonce),
    );
  }

  // Only a GET is a view: HEAD (link checkers, unfurlers) must not change anything.
  if (c.req.method === "GET" && status === "pending" && invitation.viewedAt === null) {
    await markViewed(c.get("db"), invitation.id, now);
  }
  const kind = testMode ? "test" : "live";
  if (!asHtml) return c.json(view, 200, pageHeaders(kind, nonce));

  // A deployed Worker without a Meta app: never a simulated live connection (start refuses too).
  if (isMetaMissing(c.env, invitation)) {
    return c.html(unavailablePage(language, nonce, view.invitation, branding), 200, {
      ...pageHeaders("static", nonce),
      "Content-Language": language,
    });
  }
  const meta = metaConfig(c.env);
  const page = invitationPage({
    language,
    nonce,
    view: view.invitation,
    branding,
    // A test-mode page names no Meta host at all: its CSP allows none.
    meta: testMode
      ? null
      : {
          sdkUrl: `https://connect.facebook.net/${SDK_LOCALES[language]}/sdk.js`,
          appId: meta.appId,
          version: meta.graphVersion,
          configId: invitation.connectionType === "messenger" ? meta.messengerConfigId : meta.configId,
        },
    // Embedded Signup's prefill: the client's own email and phone, on their live page only.
    prefill: testMode ? undefined : { email: invitation.clientEmail, phone: invitation.clientPhone },
    redirect: { numberType: invitation.phoneNumberType, landed },
  });
  return c.html(page, 200, { ...pageHeaders(kind, nonce), "Content-Language": language });
});
