/**
 * Why an attempt failed (`failureReason`). The first five are the contract's; the rest come
 * from the server's own checks and from Meta's Graph API errors (src/meta/errors.ts). Their
 * meanings are documented in docs/onboarding.md, "Failure reasons", and in the OpenAPI description.
 */
export const FAILURE_REASON_MEANINGS = {
  fb_cancelled: "The client closed Meta's dialog before finishing.",
  fb_not_authorized: "The client declined the permissions Meta asked for.",
  signup_abandoned: "The dialog closed with neither a result nor a cancellation.",
  meta_no_pages: "The client administers no Facebook Page.",
  internal_error: "Meta's dialog reported an error, or this service failed unexpectedly.",
  phone_country_not_allowed: "The number's country is not in the invitation's allowedPhoneCountries.",
  phone_number_mismatch: "The number connected is not the invitation's pre-assigned number.",
  phone_number_type_not_allowed:
    "The number is not of the invitation's phoneNumberType (on the WhatsApp Business app, or not).",
  meta_code_used: "Meta's authorization code had already been used (Graph 100/36009).",
  meta_code_expired: "Meta's authorization code expired before it was used (Graph 100/36007).",
  meta_code_invalid: "Meta refused the authorization code (Graph 100 on the exchange).",
  meta_permission_missing:
    "The client did not grant access to a WhatsApp Business account, or a permission is missing (Graph 10, 200-299).",
  meta_token_invalid: "Meta reports the access token invalid or expired (Graph 190).",
  meta_no_phone_number: "The WhatsApp Business account has no phone number to connect.",
  meta_waba_ambiguous:
    "The client granted several WhatsApp Business accounts and Meta's dialog did not say which one to connect.",
  meta_register_limit: "Too many registrations of this number: Meta blocks it for 72 hours (Graph 133016).",
  meta_register_failed: "Meta refused to register the number for the Cloud API (e.g. 133005 PIN mismatch).",
  meta_rate_limited: "Meta's rate limit was reached (Graph 4, 17, 32, 613, 80007): retry later.",
  meta_unavailable: "Meta did not answer in time or was temporarily unavailable (timeout, Graph 1, 2, 5xx).",
  meta_error: "Another Graph API error.",
  number_not_verified:
    "Meta's window ended with a number not verified yet, and no code was confirmed on the invite page within 24 hours of asking for it.",
  number_not_added:
    "Meta's window ended without a phone number, and none was added on the invite page within 24 hours.",
} as const;

export type FailureReason = keyof typeof FAILURE_REASON_MEANINGS;
export const FAILURE_REASONS = Object.keys(FAILURE_REASON_MEANINGS) as [FailureReason, ...FailureReason[]];

/** The reasons the invite page itself reports through `POST /invite/{token}/fail`. */
export const CLIENT_FAILURE_REASONS = [
  "fb_cancelled",
  "signup_abandoned",
  "fb_not_authorized",
  "internal_error",
] as const satisfies readonly FailureReason[];
