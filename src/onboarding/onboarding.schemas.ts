import { z } from "@hono/zod-openapi";
import { CONNECTION_TYPES, ONBOARDING_STEPS } from "../db/schema";
import {
  FAILURE_REASON_DESCRIPTION,
  InvitationStatusSchema,
  ONBOARDING_STEP_DESCRIPTION,
} from "../invitations/invitations.schemas";
import { CLIENT_FAILURE_REASONS, FAILURE_REASONS } from "../invitations/lifecycle";
import { NUMBER_PROBLEM_CODES } from "./number";

const GRAPH_ID = z
  .string()
  .regex(/^\d{1,32}$/, { error: "Must be a Meta id (digits)" })
  .openapi({ example: "100000000000011" });

export const InviteTokenParam = z.object({
  token: z
    .string()
    .openapi({ param: { name: "token", in: "path" }, description: "The invitation token of the link." }),
});

export const InviteInvitationSchema = z
  .object({
    id: z.string(),
    status: InvitationStatusSchema,
    connectionType: z.enum(CONNECTION_TYPES),
    clientName: z.string().nullable(),
    partnerName: z.string().openapi({ description: "Name of the inviting project." }),
    expiresAt: z.iso.datetime(),
    allowedPhoneCountries: z.array(z.string()).nullable(),
    assignedPhoneNumber: z
      .string()
      .nullable()
      .openapi({ description: "E.164 of the pre-assigned number, if any." }),
    connectedAccount: z
      .object({
        id: z.string().openapi({ description: "WhatsApp phone-number id, or Facebook Page id." }),
        channel: z.enum(["whatsapp", "messenger"]),
        name: z.string().nullable(),
        phoneNumber: z
          .string()
          .nullable()
          .openapi({ description: "E.164 of the WhatsApp number; null for a Page." }),
      })
      .nullable(),
    failureReason: z.enum(FAILURE_REASONS).nullable().openapi({ description: FAILURE_REASON_DESCRIPTION }),
    testMode: z.boolean().openapi({ description: "Test mode: Meta is replaced by the built-in fake." }),
    onboardingStep: z.enum(ONBOARDING_STEPS).nullable().openapi({ description: ONBOARDING_STEP_DESCRIPTION }),
    returnUrl: z.string().nullable().openapi({
      description:
        "Where the page sends the client back: the partner's `successRedirectUrl` (when `completed`, with `invitation_id`, `status`, `sender_id`) or `failureRedirectUrl` (when `failed`, with `invitation_id`, `status`, `failure_reason`); null otherwise.",
    }),
  })
  .openapi("InviteInvitation");

export const InviteViewSchema = z.object({ invitation: InviteInvitationSchema }).openapi("InviteView", {
  description: "The client's view of an invitation: never a token or a partner-only field.",
});

export const StartRequestSchema = z.object({}).strict().openapi("InviteStartRequest");

export const StartResponseSchema = z
  .object({
    invitation: InviteInvitationSchema,
    attemptSecret: z.string().openapi({
      description:
        "This attempt's secret: `pages`, `complete` and `fail` must send it as `X-Attempt-Secret` (the page keeps it in `sessionStorage`). Stored only as a hash.",
    }),
  })
  .openapi("InviteStart");

/** `X-Attempt-Secret`: optional to the validator, so a call without it gets the 401, not a 400. */
export const AttemptSecretHeaders = z.object({
  "x-attempt-secret": z
    .string()
    .optional()
    .openapi({
      param: { in: "header" },
      description:
        "The `attemptSecret` that `start` answered. Required on `pages`, `complete` and `fail` (else 401 `unauthorized`); on `start`, it lets the same browser restart its own running attempt.",
    }),
});

export const WhatsAppCompleteSchema = z
  .object({
    code: z.string().min(1).max(4096).openapi({ description: "`authResponse.code` from `FB.login`." }),
    wabaId: GRAPH_ID.optional().openapi({ description: "`waba_id` of the FINISH message (a hint)." }),
    phoneNumberId: GRAPH_ID.optional().openapi({
      description: "`phone_number_id` of the FINISH message (a hint).",
    }),
    businessId: GRAPH_ID.optional().openapi({
      description: "`business_id` of the FINISH message; ignored: the WABA's owner is read from Meta.",
    }),
    event: z
      .string()
      .regex(/^FINISH[A-Z_]{0,60}$/, { error: "Must be a WA_EMBEDDED_SIGNUP FINISH event name" })
      .optional()
      .openapi({
        description:
          "The `WA_EMBEDDED_SIGNUP` event that ended the popup. `FINISH_ONLY_WABA` and `FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING` (coexistence) skip the number's registration.",
        example: "FINISH",
      }),
  })
  .strict()
  .openapi("InviteCompleteWhatsApp");

export const MessengerCompleteSchema = z
  .object({ pageId: GRAPH_ID.openapi({ description: "One of the Page ids `pages` answered." }) })
  .strict()
  .openapi("InviteCompleteMessenger");

export const CompleteRequestSchema = z.union([WhatsAppCompleteSchema, MessengerCompleteSchema]);

export const PagesRequestSchema = z
  .object({
    code: z.string().min(1).max(4096).optional().openapi({
      description:
        "`authResponse.code` from `FB.login`. Omitted after Meta's OAuth dialog (full-page redirect): the callback exchanged the code, and `pages` answers the list it kept.",
    }),
  })
  .strict()
  .openapi("InvitePagesRequest");

export const PagesResponseSchema = z
  .object({
    pages: z.array(z.object({ id: z.string(), name: z.string() })).openapi({
      description:
        "The Pages the client administers (their tokens stay on the server). Empty when it failed.",
    }),
    invitation: InviteInvitationSchema,
  })
  .openapi("InvitePages");

export const FailRequestSchema = z
  .object({
    reason: z.enum(CLIENT_FAILURE_REASONS),
    step: z.string().max(100).optional().openapi({ description: "Meta's `current_step` of a CANCEL." }),
    message: z
      .string()
      .max(500)
      .optional()
      .openapi({ description: "Meta's `error_message` of a CANCEL with an error." }),
    errorCode: z
      .string()
      .max(100)
      .optional()
      .openapi({ description: "Meta's `error_code` (or `error_id`) of a CANCEL or ERROR with an error." }),
    sessionId: z
      .string()
      .max(100)
      .optional()
      .openapi({ description: "Meta's `session_id` of a CANCEL or ERROR with an error." }),
  })
  .strict()
  .openapi("InviteFailRequest");

export const AddNumberRequestSchema = z
  .object({
    countryCode: z
      .string()
      .regex(/^[1-9]\d{0,2}$/, { error: "Must be a country calling code: 1 to 3 digits, no +" })
      .openapi({ example: "34" }),
    phoneNumber: z
      .string()
      .regex(/^\d{4,14}$/, { error: "Must be the national number: 4 to 14 digits" })
      .openapi({ example: "612345678" }),
    displayName: z
      .string()
      .trim()
      .min(3)
      .max(100)
      .openapi({ description: "The name shown on WhatsApp (Meta reviews it).", example: "Acme Corp" }),
  })
  .strict()
  .openapi("InviteAddNumberRequest");

export const RequestCodeRequestSchema = z
  .object({
    method: z.enum(["SMS", "VOICE"]).openapi({ description: "How Meta sends the code." }),
    language: z
      .enum(["en", "es", "pt"])
      .optional()
      .openapi({ description: "The language of the code's message (the page's); default en." }),
  })
  .strict()
  .openapi("InviteRequestCodeRequest");

export const VerifyCodeRequestSchema = z
  .object({
    code: z
      .string()
      .regex(/^\d{6}$/, { error: "Must be the 6-digit code Meta sent" })
      .openapi({ example: "123456" }),
  })
  .strict()
  .openapi("InviteVerifyCodeRequest");

export const NumberReplySchema = z
  .object({
    invitation: InviteInvitationSchema,
    problem: z
      .object({
        code: z.enum(NUMBER_PROBLEM_CODES),
        retryAfter: z
          .number()
          .int()
          .nullable()
          .openapi({ description: "Seconds to wait before trying again; null: now." }),
      })
      .nullable()
      .openapi({
        description:
          "Why the step did not move on, or null: `code_incorrect` (Meta 136025), `code_request_limited` (136024), `code_resend_wait` (one code a minute), `code_guess_limited` (5 wrong codes: request a new one), `retry_later` (a limit of Meta's still runs), `number_invalid` / `number_rejected` (Meta refused the number), `phone_country_not_allowed` / `phone_number_mismatch` (the invitation's checks), `meta_rate_limited` (4, 17, 32, 613, 80007, 80008), `meta_unavailable` (1, 2, 5xx, timeout).",
      }),
  })
  .openapi("InviteNumberReply");
