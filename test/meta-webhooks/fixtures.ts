/**
 * Meta's webhook payloads as its documentation shows them, ids replaced by each test's own.
 * Sources (Meta for Developers, WhatsApp Business Platform, read 2026-12):
 * - account_update: "Webhooks reference: account_update"
 *   (developers.facebook.com/docs/graph-api/webhooks/reference/whatsapp-business-account/#account_update)
 *   PARTNER_ADDED / PARTNER_REMOVED carry `waba_info`; ACCOUNT_RESTRICTION carries `phone_number`
 *   and `restriction_info`; DISABLED_UPDATE carries `ban_info.waba_ban_state`.
 * - phone_number_quality_update and phone_number_name_update: the same reference
 *   (`display_phone_number`, `event`, `current_limit`; `decision`, `requested_verified_name`).
 * - smb_app_state_sync and history: "Onboarding WhatsApp Business app users (aka Coexistence)"
 *   (developers.facebook.com/docs/whatsapp/embedded-signup/custom-flows/onboarding-business-app-users),
 *   including error 2593109 when the business declines to share its history.
 * Every delivery is `{ object: "whatsapp_business_account", entry: [{ id: <WABA id>, time, changes }] }`.
 */

type Json = Record<string, unknown>;

export function delivery(wabaId: string, field: string, value: Json, time = 1_765_000_000): Json {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: wabaId, time, changes: [{ value, field }] }],
  };
}

export const partnerRemoved = (wabaId: string, businessId = "100000000000021") =>
  delivery(wabaId, "account_update", {
    event: "PARTNER_REMOVED",
    waba_info: { waba_id: wabaId, owner_business_id: businessId },
  });

export const partnerAdded = (wabaId: string, businessId = "100000000000021") =>
  delivery(wabaId, "account_update", {
    event: "PARTNER_ADDED",
    waba_info: { waba_id: wabaId, owner_business_id: businessId },
  });

export const accountRestriction = (wabaId: string, phoneDigits: string) =>
  delivery(wabaId, "account_update", {
    phone_number: phoneDigits,
    event: "ACCOUNT_RESTRICTION",
    restriction_info: [{ restriction_type: "RESTRICTED_ADD_PHONE_NUMBER_ACTION", expiration: 1_767_000_000 }],
  });

export const disabledUpdate = (
  wabaId: string,
  state: "SCHEDULE_FOR_DISABLE" | "DISABLE" | "REINSTATE",
  time?: number,
) =>
  delivery(
    wabaId,
    "account_update",
    { event: "DISABLED_UPDATE", ban_info: { waba_ban_state: state, waba_ban_date: "2026-12-31" } },
    time,
  );

export const qualityUpdate = (wabaId: string, displayDigits: string, event: string, currentLimit: string) =>
  delivery(wabaId, "phone_number_quality_update", {
    display_phone_number: displayDigits,
    event,
    current_limit: currentLimit,
  });

export const nameUpdate = (wabaId: string, displayDigits: string, decision: string, name: string) =>
  delivery(wabaId, "phone_number_name_update", {
    display_phone_number: displayDigits,
    decision,
    requested_verified_name: name,
    rejection_reason: decision === "REJECTED" ? "NAME_FORMAT_UNACCEPTABLE" : null,
  });

export const stateSync = (wabaId: string, phoneNumberId: string, displayDigits: string) =>
  delivery(wabaId, "smb_app_state_sync", {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: displayDigits, phone_number_id: phoneNumberId },
    state_sync: [
      {
        type: "contact",
        contact: { full_name: "Pablo Morales", first_name: "Pablo", phone_number: "16505551234" },
        action: "add",
        metadata: { timestamp: "1738346400" },
      },
    ],
  });

export const historyChunk = (
  wabaId: string,
  phoneNumberId: string,
  displayDigits: string,
  phase: number,
  progress: number,
) =>
  delivery(wabaId, "history", {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: displayDigits, phone_number_id: phoneNumberId },
    history: [
      {
        metadata: { phase, chunk_order: 1, progress },
        threads: [
          {
            id: "16505551234",
            messages: [
              {
                from: displayDigits,
                id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
                timestamp: "1738346400",
                type: "text",
                text: { body: "Hello from the app" },
                history_context: { status: "READ" },
              },
            ],
          },
        ],
      },
    ],
  });

export const historyDeclined = (wabaId: string, phoneNumberId: string, displayDigits: string) =>
  delivery(wabaId, "history", {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: displayDigits, phone_number_id: phoneNumberId },
    history: [
      {
        errors: [
          {
            code: 2593109,
            title: "History sharing is turned off by the business",
            message: "History sharing is turned off by the business",
            error_data: { details: "History sharing is turned off by the business" },
          },
        ],
      },
    ],
  });

/** A field this service does not act on (an inbound message): stored, then ignored. */
export const inboundMessage = (wabaId: string, phoneNumberId: string) =>
  delivery(wabaId, "messages", {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: "16505551111", phone_number_id: phoneNumberId },
    contacts: [{ profile: { name: "Kerry Fisher" }, wa_id: "16315551181" }],
    messages: [
      {
        from: "16315551181",
        id: "wamid.ABGGFlA5Fpa",
        timestamp: "1504902988",
        type: "text",
        text: { body: "hi" },
      },
    ],
  });
