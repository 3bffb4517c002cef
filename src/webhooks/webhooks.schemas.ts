import { z } from "@hono/zod-openapi";
import { DELIVERY_OUTCOMES, SIGNATURE_VERSIONS, WEBHOOK_EVENT_TYPES } from "../db/schema";

const EventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `Must be one of: ${WEBHOOK_EVENT_TYPES.join(", ")}` }))
  .min(1, "List at least one event")
  .refine((events) => new Set(events).size === events.length, "Must not repeat an event")
  .openapi({
    description:
      "Events to receive. `invitation.status_changed`: every status change of an invitation. `sender.status_changed`: every status change of a sender (opt in: not in the default).",
    example: ["invitation.status_changed"],
  });

const UrlSchema = z
  .string()
  .min(1, "Must not be empty")
  .max(2048, "Must be at most 2048 characters")
  .openapi({
    description:
      "Where events are POSTed. `https` only; no credentials; not a loopback, private, link-local or otherwise internal address, however spelled.",
    example: "https://partner.example.com/zavu/webhooks",
  });

const SIGNATURE_VERSION_DESCRIPTION =
  'How deliveries are signed (`X-Zavu-Signature`). `v2`: `t=<unix s>,v2=<hex HMAC-SHA256(secret, "<t>.<body>")>`, which binds the time so a receiver can refuse replays. `v1+v2`: also `v1=<hex HMAC-SHA256(secret, body)>` (body only, replayable), for receivers that still read `v1`. `v1` alone is not offered.';

const SignatureVersionSchema = z
  .enum(SIGNATURE_VERSIONS, { error: `Must be one of: ${SIGNATURE_VERSIONS.join(", ")}` })
  .openapi({ description: SIGNATURE_VERSION_DESCRIPTION, example: "v2" });

export const WebhookCreateRequestSchema = z
  .object({
    url: UrlSchema,
    // Opt-in for anything newer than invitation events: a webhook gets what it lists.
    events: EventTypesSchema.default(["invitation.status_changed"]),
    signatureVersion: SignatureVersionSchema.optional().openapi({
      description: `${SIGNATURE_VERSION_DESCRIPTION} A new webhook is \`v2\` unless this says otherwise; replacing an existing one keeps its version unless this is given.`,
    }),
  })
  .strict()
  .openapi("WebhookCreateRequest");

export const WebhookUpdateRequestSchema = z
  .object({
    url: UrlSchema.optional(),
    events: EventTypesSchema.optional(),
    active: z.boolean().optional().openapi({ description: "`false` pauses deliveries." }),
    signatureVersion: SignatureVersionSchema.optional(),
  })
  .strict()
  .openapi("WebhookUpdateRequest");

const webhookFields = {
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  active: z.boolean().openapi({ description: "A paused (`false`) webhook receives nothing." }),
  signatureVersion: SignatureVersionSchema,
};

export const WebhookSchema = z.object(webhookFields).openapi("Webhook");

export const WebhookWithSecretSchema = z
  .object({
    ...webhookFields,
    secret: z.string().openapi({
      description:
        "Signing secret (`whsec_…`): the HMAC-SHA256 key of `X-Zavu-Signature`, used as this exact string. Only returned here.",
      example: "whsec_3q2-7wEXAMPLEc2VjcmV0LWtleS1mb3ItZG9jcw",
    }),
  })
  .openapi("WebhookWithSecret");

export const WebhookResponseSchema = z.object({ webhook: WebhookSchema }).openapi("WebhookResponse");
export const WebhookOrNullResponseSchema = z
  .object({ webhook: WebhookSchema.nullable() })
  .openapi("WebhookOrNullResponse");
export const WebhookSecretResponseSchema = z
  .object({ webhook: WebhookWithSecretSchema })
  .openapi("WebhookSecretResponse");

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "dlv_abc123" }),
    eventId: z.string().openapi({ example: "evt_0123456789abcdef0123456789abcdef" }),
    invitationId: z.string().openapi({ example: "inv_abc123" }),
    attempt: z.number().int().openapi({ description: "1 for an event's first attempt; resends continue." }),
    outcome: z.enum(DELIVERY_OUTCOMES).openapi({
      description:
        "`delivered` (2xx), `retrying` (failed; another attempt is scheduled) or `failed` (the last attempt failed; the event is dead-lettered).",
    }),
    responseStatus: z.number().int().nullable().openapi({ description: "null when no response came." }),
    durationMs: z.number().int(),
    error: z.string().nullable().openapi({ description: "Why the attempt failed, e.g. `HTTP 500`." }),
    responseExcerpt: z
      .string()
      .nullable()
      .openapi({ description: "The first 200 characters of the response." }),
    createdAt: z.iso.datetime(),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveryListSchema = z
  .object({
    items: z.array(WebhookDeliverySchema),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` to get the next page; null on the last page.",
    }),
  })
  .openapi("WebhookDeliveryList");

export const WebhookResendResponseSchema = z
  .object({
    eventId: z.string(),
    status: z.literal("queued"),
  })
  .openapi("WebhookResendResponse");
