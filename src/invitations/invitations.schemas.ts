import { z } from "@hono/zod-openapi";
import {
  CONNECTION_TYPES,
  INVITATION_STATUSES,
  ONBOARDING_STEPS,
  PAGE_LANGUAGES,
  PHONE_NUMBER_TYPES,
} from "../db/schema";
import { isCountryCode } from "../lib/countries";
import { FAILURE_REASON_MEANINGS } from "./failure-reasons";

// Component names, field names, limits and defaults are the contract's (Zavu API 0.2.0 plus
// the fields `@zavudev/sdk` knows). test/contract checks the generated document against it.

export const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_EMAIL_LENGTH = 254; // RFC 5321 path limit; enforced without changing the schema's shape.

// JSON can carry lone UTF-16 surrogates ("\ud800"); they are not text, and D1 would store them
// as invalid UTF-8 and hand back replacement characters. Refused rather than altered.
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (value: string) => !LONE_SURROGATE.test(value);
const WELL_FORMED = "Must be valid Unicode text";

/**
 * A return link's shape; the host rules (the webhooks' URL policy, which depends on the
 * environment) are checked by the create handler.
 */
const redirectUrl = () => z.string().min(1).max(2048).refine(wellFormed, WELL_FORMED).optional();

/** The codes and their meanings, for `failureReason`'s description (the contract's type is a string). */
export const FAILURE_REASON_DESCRIPTION = `Why the last attempt failed, set on \`failed\` (the same link can be retried). One of:\n${Object.entries(
  FAILURE_REASON_MEANINGS,
)
  .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
  .join("\n")}`;

export const ONBOARDING_STEP_DESCRIPTION =
  "While `in_progress`, the step a WhatsApp client is on after Meta's window when the number still needs work on the invite page (Embedded Signup v4): `adding_number` (the window ended without a number), `verifying_number` (the number waits for its SMS or voice code). Null otherwise.";

export const InvitationStatusSchema = z.enum(INVITATION_STATUSES).openapi("InvitationStatus", {
  description:
    "Current status of the partner invitation. `failed`: the client started and did not finish; the same link can be retried.",
});

export const ConnectionTypeSchema = z.enum(CONNECTION_TYPES);

const PHONE_NUMBER_TYPE_DESCRIPTION =
  "Which WhatsApp numbers the client may connect: `cloud_api` (only a new number on the Cloud API; a number on the WhatsApp Business app fails with `phone_number_type_not_allowed`), `business_app` (only a number already on the WhatsApp Business app, kept there: Meta's coexistence, `whatsapp_business_app_onboarding`), or `any` (the page lets the client choose). Omitted: Meta's standard signup, whatever number it finishes with (the behaviour before this field). `whatsapp_waba` only.";
const LANGUAGE_DESCRIPTION =
  "The invite page's language (`en`, `es`, `pt`), instead of the one the client's browser asks for (`Accept-Language`).";
/** Metadata's limits (Stripe's model): keys `[A-Za-z0-9_-]{1,40}`, at most 20, values ≤ 500 characters. */
export const METADATA_KEY = /^[A-Za-z0-9_-]{1,40}$/;
export const METADATA_MAX_KEYS = 20;
export const METADATA_MAX_VALUE_LENGTH = 500;

export const MetadataSchema = z
  // Not z.record: it copies into a plain object, where a "__proto__" key would vanish.
  .unknown()
  .superRefine((record, ctx) => {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      ctx.addIssue({ code: "custom", message: "Must be an object of string values" });
      return;
    }
    const entries = Object.entries(record);
    if (entries.length > METADATA_MAX_KEYS) {
      ctx.addIssue({ code: "custom", message: `At most ${METADATA_MAX_KEYS} keys` });
    }
    for (const [key, value] of entries) {
      if (!METADATA_KEY.test(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: "Keys are 1 to 40 of A-Z, a-z, 0-9, _ and -" });
      } else if (typeof value !== "string") {
        ctx.addIssue({ code: "custom", path: [key], message: "Values are strings" });
      } else if (value.length > METADATA_MAX_VALUE_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `Values are at most ${METADATA_MAX_VALUE_LENGTH} characters`,
        });
      } else if (!wellFormed(value)) {
        ctx.addIssue({ code: "custom", path: [key], message: WELL_FORMED });
      }
    }
  })
  // Own properties, whatever the key (Object.fromEntries defines, never assigns).
  .transform((record) => Object.fromEntries(Object.entries(record as object)) as Record<string, string>)
  .openapi({
    type: "object",
    additionalProperties: { type: "string", maxLength: METADATA_MAX_VALUE_LENGTH },
    maxProperties: METADATA_MAX_KEYS,
    description:
      "Your own key-value pairs: at most 20 keys of 1 to 40 characters `[A-Za-z0-9_-]`, string values of at most 500 characters. Returned on the invitation, included in its webhook events' `data`, and filterable on the list (`metadata[key]=value`).",
    example: { crmId: "acct_4711", plan: "pro" },
  });

export const InvitationCreateRequestSchema = z
  .object({
    clientName: z.string().max(100).refine(wellFormed, WELL_FORMED).optional().openapi({
      description: "Name of the client being invited.",
      example: "Acme Corp",
    }),
    clientEmail: z
      .email({ error: "Must be a valid email address" })
      .refine((v) => v.length <= MAX_EMAIL_LENGTH, `Must be at most ${MAX_EMAIL_LENGTH} characters`)
      .optional()
      .openapi({ description: "Email of the client being invited.", example: "contact@acme.com" }),
    clientPhone: z
      .string()
      .regex(E164, { error: "Must be E.164: '+' then 2 to 15 digits, no spaces" })
      .optional()
      .openapi({
        description: "Phone number of the client in E.164 format.",
        example: "+14155551234",
      }),
    phoneNumberId: z.string().refine(wellFormed, WELL_FORMED).optional().openapi({
      description:
        "ID of a Zavu phone number of this project to pre-assign for WhatsApp registration. If provided, the client will use this number instead of their own. A number can be held by one open invitation at a time. `whatsapp_waba` only.",
      example: "pn_abc123",
    }),
    expiresInDays: z.number().int().min(1).max(30).default(7).openapi({
      description: "Number of days until the invitation expires.",
    }),
    allowedPhoneCountries: z
      .array(z.string().length(2))
      .superRefine((codes, ctx) => {
        if (codes.length === 0) {
          ctx.addIssue({ code: "custom", message: "List at least one country, or omit the field" });
        }
        const seen = new Set<string>();
        codes.forEach((code, index) => {
          // ASCII letters only: toUpperCase would fold "ıt" into "IT".
          const upper = /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : "";
          if (!isCountryCode(upper)) {
            ctx.addIssue({
              code: "custom",
              path: [index],
              message: `'${code}' is not an ISO 3166-1 alpha-2 country code`,
            });
          } else if (seen.has(upper)) {
            ctx.addIssue({ code: "custom", path: [index], message: `Duplicate country '${upper}'` });
          }
          seen.add(upper);
        });
      })
      .optional()
      .openapi({
        description:
          "ISO country codes for allowed phone numbers (ISO 3166-1 alpha-2, any case, stored upper case, no duplicates). `whatsapp_waba` only.",
        example: ["US", "MX"],
      }),
    connectionType: ConnectionTypeSchema.default("whatsapp_waba").openapi({
      description:
        "Which Meta channel the client connects: `whatsapp_waba` (default, Meta's WhatsApp Embedded Signup) or `messenger` (a Facebook Page the client administers).",
    }),
    successRedirectUrl: redirectUrl().openapi({
      description:
        "Where the page sends the client after connecting: a link at once, and automatically 5 s after the outcome shows. `invitation_id`, `status` (`completed`) and `sender_id` are added to its query; never the token. https (http and loopback hosts only where local webhook URLs are allowed), no credentials, no private address; at most 2048 characters.",
      example: "https://partner.example.com/onboarding/done",
    }),
    failureRedirectUrl: redirectUrl().openapi({
      description:
        'Where the page\'s "Back to the partner" link goes after a failed attempt (the page keeps its retry). `invitation_id`, `status` (`failed`) and `failure_reason` are added to its query; never the token. Same rules as `successRedirectUrl`.',
      example: "https://partner.example.com/onboarding/failed",
    }),
    phoneNumberType: z
      .enum(PHONE_NUMBER_TYPES, { error: `Must be one of ${PHONE_NUMBER_TYPES.join(", ")}` })
      .optional()
      .openapi({ description: PHONE_NUMBER_TYPE_DESCRIPTION, example: "any" }),
    language: z
      .enum(PAGE_LANGUAGES, { error: `Must be one of ${PAGE_LANGUAGES.join(", ")}` })
      .optional()
      .openapi({ description: LANGUAGE_DESCRIPTION, example: "es" }),
    metadata: MetadataSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.connectionType !== "messenger") return;
    for (const field of ["phoneNumberId", "allowedPhoneCountries", "phoneNumberType"] as const) {
      if (body[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: "Only valid when connectionType is whatsapp_waba",
        });
      }
    }
  })
  .openapi("InvitationCreateRequest");

export type InvitationCreateRequest = z.infer<typeof InvitationCreateRequestSchema>;

const timestamp = () => z.iso.datetime().openapi({ example: "2026-01-01T12:00:00.000Z" });
const nullableTimestamp = () => timestamp().nullable().optional();

export const ConnectedAccountSchema = z
  .object({
    id: z.string().openapi({ description: "WhatsApp phone-number id, or Facebook Page id." }),
    channel: z.enum(["whatsapp", "messenger"]),
    name: z.string().nullable().openapi({ description: "Display name of the linked account." }),
  })
  .openapi("ConnectedAccount");

export const InvitationSchema = z
  .object({
    id: z.string().openapi({ example: "inv_abc123" }),
    url: z.string().openapi({
      description: "Full URL to share with the client.",
      example: "https://dashboard.zavu.dev/invite/abc123xyz",
    }),
    token: z.string().openapi({ description: "Unique invitation token." }),
    clientName: z.string().nullable().optional(),
    clientEmail: z.string().nullable().optional(),
    clientPhone: z.string().nullable().optional(),
    phoneNumberId: z.string().nullable().optional().openapi({
      description: "ID of a pre-assigned Zavu phone number for WhatsApp registration.",
    }),
    connectionType: ConnectionTypeSchema.optional(),
    status: InvitationStatusSchema,
    senderId: z.string().nullable().optional().openapi({
      description: "ID of the sender created when invitation is completed.",
    }),
    connectedAccount: ConnectedAccountSchema.nullable().optional().openapi({
      description: "The account the client linked; null until `completed`.",
    }),
    failureReason: z.string().nullable().optional().openapi({
      description: FAILURE_REASON_DESCRIPTION,
    }),
    onboardingStep: z
      .enum(ONBOARDING_STEPS)
      .nullable()
      .optional()
      .openapi({ description: ONBOARDING_STEP_DESCRIPTION }),
    expiresAt: timestamp(),
    viewedAt: nullableTimestamp(),
    startedAt: nullableTimestamp(),
    completedAt: nullableTimestamp(),
    failedAt: nullableTimestamp(),
    phoneNumberType: z
      .enum(PHONE_NUMBER_TYPES)
      .nullable()
      .optional()
      .openapi({ description: `${PHONE_NUMBER_TYPE_DESCRIPTION} Null when omitted.` }),
    language: z
      .enum(PAGE_LANGUAGES)
      .nullable()
      .optional()
      .openapi({ description: `${LANGUAGE_DESCRIPTION} Null when omitted.` }),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    successRedirectUrl: z.string().nullable().optional().openapi({
      description: "Where the page sends the client after connecting, as created; null when none.",
    }),
    failureRedirectUrl: z.string().nullable().optional().openapi({
      description: "Where the page's link after a failure goes, as created; null when none.",
    }),
    metadata: z
      .record(z.string(), z.string())
      .optional()
      .openapi({
        description: "The metadata given on create; `{}` when none.",
        example: { crmId: "acct_4711" },
      }),
  })
  .openapi("Invitation");

export type Invitation = z.infer<typeof InvitationSchema>;

export const InvitationResponseSchema = z
  .object({ invitation: InvitationSchema })
  .openapi("InvitationResponse");
