/**
 * The invite page's full-page redirect to Meta's OAuth dialog, and the partner's choice of
 * numbers (`phoneNumberType`). Imported by page.ts; bundled into the same script.
 *
 * - In-app browsers (src/lib/user-agent.ts, the server's list too) never get the popup: the
 *   page starts the attempt, asks `POST <link>/redirect` for the dialog's URL and goes there.
 * - Elsewhere the popup runs first; when it ends with no code and nothing from Meta's window
 *   (blocked, closed, or no `authResponse`), page.ts falls back to the same redirect.
 * - `phoneNumberType` `any`: a radio group lets the client say whether the number is a new one
 *   or already on the WhatsApp Business app (coexistence: `featureType` in Meta's extras).
 */
import { inAppBrowser } from "../../lib/user-agent";
import type { PageData } from "./data";

/** This browser is an in-app browser: Meta's popup cannot work here. */
export const inApp = inAppBrowser(navigator.userAgent) !== null;

const CHOICE_NAME = "number-type";

/** The radio group for `phoneNumberType` `any` (WhatsApp, live), placed before the action button. */
export function renderChoice(D: PageData, before: HTMLElement): void {
  const r = D.redirect;
  if (r?.numberType !== "any" || D.channel !== "whatsapp" || D.test || D.status === "completed") return;
  const set = document.createElement("fieldset");
  set.id = "number-type";
  const legend = document.createElement("legend");
  legend.textContent = r.text.chooseLegend;
  set.append(legend);
  for (const [value, text] of [
    ["cloud_api", r.text.chooseCloudApi],
    ["business_app", r.text.chooseBusinessApp],
  ] as const) {
    const input = Object.assign(document.createElement("input"), {
      type: "radio",
      name: CHOICE_NAME,
      value,
      id: `number-type-${value}`,
      checked: value === "cloud_api",
    });
    const label = Object.assign(document.createElement("label"), { htmlFor: input.id, textContent: text });
    const row = Object.assign(document.createElement("div"), { className: "choice" });
    row.append(input, label);
    set.append(row);
  }
  before.before(set);
}

/** The client's choice when the partner allowed either kind; undefined otherwise. */
function chosen(D: PageData): "cloud_api" | "business_app" | undefined {
  if (D.redirect?.numberType !== "any") return undefined;
  const input = document.querySelector<HTMLInputElement>(`input[name="${CHOICE_NAME}"]:checked`);
  return input?.value === "business_app" ? "business_app" : "cloud_api";
}

/** `FB.login`'s extras: the server's, with coexistence's feature type when that is the number. */
export function popupExtras(D: PageData): unknown {
  const base = D.meta?.extras;
  const type = D.redirect?.numberType === "any" ? chosen(D) : D.redirect?.numberType;
  if (type !== "business_app" || !base || typeof base !== "object") return base;
  return Object.assign({}, base, { featureType: "whatsapp_business_app_onboarding" });
}

/**
 * Sends the browser to Meta's OAuth dialog for the running attempt. Resolves only if the server
 * refuses (its error is thrown by `post`); once the browser leaves, the page is gone.
 */
export async function toDialog(
  D: PageData,
  post: (step: string, body: unknown) => Promise<{ dialogUrl?: unknown }>,
  say: (text: string) => void,
): Promise<null> {
  const type = chosen(D);
  const reply = await post("redirect", type ? { phoneNumberType: type } : {});
  if (typeof reply?.dialogUrl !== "string") throw { text: undefined };
  if (D.redirect) say(D.redirect.text.redirecting);
  location.assign(reply.dialogUrl);
  // The page stays busy until the browser has left.
  return new Promise<null>(() => {});
}
