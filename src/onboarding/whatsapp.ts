import { encryptSecret } from "../lib/crypto";
import { countriesOf, toE164 } from "../lib/phone-countries";
import type { GraphPhoneNumber } from "../meta/graph";
import { type Flow, failure, type Outcome, outcomeOf, type Registration } from "./flow";
import { graphFor } from "./meta-client";
import type { NumberState } from "./number-state";
import { findPin, registrationPin } from "./pins";

/** `complete`'s body for WhatsApp: the code, and the popup's ids as hints. */
export interface WhatsAppCompletion {
  code: string;
  wabaId?: string;
  phoneNumberId?: string;
  businessId?: string;
  /** The `WA_EMBEDDED_SIGNUP` event that finished the popup (FINISH, FINISH_ONLY_WABA, ...). */
  event?: string;
  /** The OAuth dialog's `redirect_uri` (full-page redirect): the exchange must name it again. */
  redirectUri?: string;
}

/** Finishes that leave a number on the WhatsApp Business app or no number: nothing to register. */
const NO_REGISTER_EVENTS = new Set(["FINISH_ONLY_WABA", "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING"]);

function choose(numbers: GraphPhoneNumber[], hint: string | undefined, assigned: string | null) {
  if (hint) return numbers.find((n) => n.id === hint);
  if (numbers.length === 1) return numbers[0];
  return numbers.find((n) => assigned !== null && toE164(n.displayPhoneNumber) === assigned) ?? numbers[0];
}

/**
 * The server's side of Embedded Signup, in Meta's order (META.md): exchange the code (once: the
 * caller holds the attempt's claim), find the WABA the token may manage, read the number, check
 * it against the invitation, subscribe the app, register the number, and describe the sender.
 * Any failure is an outcome, never a throw.
 */
export async function connectWhatsApp(flow: Flow, input: WhatsAppCompletion): Promise<Outcome> {
  const invitation = flow.found.invitation;
  let step = "graph_client";
  try {
    const graph = graphFor(flow.env, invitation, flow.meta, flow.requestId);
    step = "exchange_code";
    const token = await graph.exchangeCode(input.code, input.redirectUri);

    step = "debug_token";
    const scopes = await graph.granularScopes(token);
    const granted = scopes.find((s) => s.scope === "whatsapp_business_management")?.targetIds ?? [];
    if (granted.length === 0) {
      return failure("meta_permission_missing", step, "The token may manage no WhatsApp Business account");
    }
    // The popup's ids are hints: only a WABA the token was granted is used.
    if (input.wabaId !== undefined && !granted.includes(input.wabaId)) {
      return failure(
        "meta_permission_missing",
        step,
        `WABA ${input.wabaId} from the browser was not granted`,
      );
    }
    // Several WABAs and no hint from the popup: taking one would be a guess.
    if (input.wabaId === undefined && granted.length > 1) {
      return failure(
        "meta_waba_ambiguous",
        step,
        `The token may manage ${granted.length} WhatsApp Business accounts and the popup named none`,
      );
    }
    const wabaId = input.wabaId ?? granted[0] ?? "";

    step = "phone_numbers";
    const numbers = await graph.phoneNumbers(token, wabaId);
    const number = choose(numbers, input.phoneNumberId, flow.found.assignedPhoneNumber);
    if (!number && input.phoneNumberId) {
      return failure(
        "meta_no_phone_number",
        step,
        `Phone number ${input.phoneNumberId} is not in WABA ${wabaId}`,
      );
    }
    // The partner's phoneNumberType: a number on the WhatsApp Business app (coexistence) or not.
    // The number step adds only Cloud API numbers, so business_app needs Meta's number now.
    const type = invitation.phoneNumberType;
    if (!number && type === "business_app") {
      return failure(
        "phone_number_type_not_allowed",
        "checks",
        "phoneNumberType business_app; Meta's signup finished with no number on the WhatsApp Business app",
      );
    }
    if (number) {
      step = "checks";
      const problem = checkNumber(flow, number.displayPhoneNumber);
      if (problem) return failure(problem.reason, step, problem.detail);
      const onBizApp = number.isOnBizApp || input.event === "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING";
      if ((type === "cloud_api" && onBizApp) || (type === "business_app" && !onBizApp)) {
        return failure(
          "phone_number_type_not_allowed",
          step,
          `phoneNumberType ${type}; the number is ${onBizApp ? "" : "not "}on the WhatsApp Business app`,
        );
      }
    }

    // The business is Meta's answer, never the browser's claim.
    step = "waba";
    const { businessId, funded } = await graph.wabaOwner(token, wabaId);

    step = "subscribe_waba";
    await graph.subscribeWaba(token, wabaId);

    // Embedded Signup v4 may finish with no number, or one Meta has not verified: the invite
    // page then adds it and verifies it (src/onboarding/number.ts), and the attempt waits.
    const state: NumberState = { token, wabaId, businessId, funded, number: number ?? null };
    if (!number) return { ok: "number_step", step: "adding_number", state };
    const skipRegister =
      (input.event !== undefined && NO_REGISTER_EVENTS.has(input.event)) || number.isOnBizApp;
    if (!skipRegister && needsVerification(number)) {
      return { ok: "number_step", step: "verifying_number", state };
    }
    step = "register";
    return await connectNumber(flow, state, number, skipRegister);
  } catch (error) {
    return outcomeOf(error, flow, step);
  }
}

/** A number Meta reports as not verified (`code_verification_status` other than VERIFIED). */
export function needsVerification(number: GraphPhoneNumber): boolean {
  return number.codeVerificationStatus !== null && number.codeVerificationStatus !== "VERIFIED";
}

/** The invitation's checks on a number (allowed countries, the pre-assigned number), or null. */
export function checkNumber(
  flow: Flow,
  display: string,
): { reason: "phone_country_not_allowed" | "phone_number_mismatch" | "meta_error"; detail: string } | null {
  const e164 = toE164(display);
  if (!e164) return { reason: "meta_error", detail: "Meta's display number is not a phone number" };
  const allowed = flow.found.invitation.allowedPhoneCountries;
  if (allowed && !countriesOf(e164).some((country) => allowed.includes(country))) {
    return {
      reason: "phone_country_not_allowed",
      detail: `Countries of the number: ${countriesOf(e164).join(",") || "unknown"}`,
    };
  }
  const assigned = flow.found.assignedPhoneNumber;
  if (assigned !== null && e164 !== assigned) {
    return { reason: "phone_number_mismatch", detail: "The connected number is not the pre-assigned one" };
  }
  return null;
}

/**
 * The end of a WhatsApp connection, once the number is verified: register it (unless it stays on
 * the WhatsApp Business app) with its stored PIN, and describe the sender. Throws Graph errors
 * (the caller makes them an outcome).
 */
export async function connectNumber(
  flow: Flow,
  state: NumberState,
  number: GraphPhoneNumber,
  skipRegister: boolean,
): Promise<Outcome> {
  const invitation = flow.found.invitation;
  const graph = graphFor(flow.env, invitation, flow.meta, flow.requestId);
  const e164 = toE164(number.displayPhoneNumber);
  if (!e164) return failure("meta_error", "checks", "Meta's display number is not a phone number");
  // Register with the PIN stored for this number (any project, any mode): two-step
  // verification is then set to it, and another PIN would be a mismatch (133005).
  // A number Meta already reports on the Cloud API and connected, with a PIN stored for it,
  // was registered by an earlier attempt (perhaps one that lost its race): registering again
  // would only spend one of Meta's 10 registrations per 72 hours.
  let registration: Registration = "not_needed";
  let registeredAt: number | null = null;
  if (!skipRegister) {
    const live = number.platformType === "CLOUD_API" && number.status === "CONNECTED";
    if (live && (await findPin(flow.db, number.id))) {
      registration = "already_registered";
    } else {
      const pin = await registrationPin(flow.db, flow.encryptionKeys, number.id, flow.now);
      await graph.register(state.token, number.id, pin);
      registration = "registered";
    }
    registeredAt = flow.now;
  }
  return {
    ok: true,
    account: { id: number.id, channel: "whatsapp", name: number.verifiedName },
    registration,
    sender: {
      projectId: invitation.projectId,
      channel: "whatsapp",
      providerAccountId: number.id,
      wabaId: state.wabaId,
      businessId: state.businessId,
      // Absent from a state parked before the field existed: unknown, not unfunded.
      wabaFunded: state.funded ?? null,
      phoneNumber: e164,
      displayPhoneNumber: number.displayPhoneNumber,
      name: number.verifiedName,
      mode: invitation.mode,
      invitationId: invitation.id,
      accessTokenCiphertext: await encryptSecret(
        flow.encryptionKeys,
        state.token,
        "senders.access_token_ciphertext",
      ),
      registeredAt,
    },
  };
}
