import { z } from "@hono/zod-openapi";
import { CONNECTION_TYPES } from "../db/schema";
import { FAILURE_REASON_DESCRIPTION, InvitationStatusSchema } from "../invitations/invitations.schemas";
import { CLIENT_FAILURE_REASONS, FAILURE_REASONS } from "../invitations/lifecycle";

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
