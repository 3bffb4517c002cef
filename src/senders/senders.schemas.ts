import { z } from "@hono/zod-openapi";
import { SENDER_STATUSES, type SenderRow } from "../db/schema";

// `@zavudev/sdk` 0.57.0's `Sender` (resources/senders/senders.d.ts): the fields a sender made by
// an invitation has. The object is answered as is, not wrapped.

// `Sender.Whatsapp.PaymentStatus` of the SDK, inlined in the Sender as the SDK has it.
const PaymentStatusSchema = z
  .object({
    setupStatus: z.string().openapi({ description: "`COMPLETE` or `NOT_STARTED`.", example: "COMPLETE" }),
    methodStatus: z.string().openapi({ description: "`VALID` or `NONE`.", example: "VALID" }),
    canSendTemplates: z.boolean().openapi({
      description:
        "Whether template messages can be paid for: `setupStatus` COMPLETE and `methodStatus` VALID.",
    }),
  })
  .openapi({
    description:
      "Payment configuration of the WhatsApp Business Account, from Meta's `primary_funding_id` as it was when the sender last connected (a new invitation for the number refreshes it; docs/senders.md): with a funding source COMPLETE, VALID, true; without one NOT_STARTED, NONE, false. Absent when not known (senders connected before it was read).",
  });

const FUNDED = { setupStatus: "COMPLETE", methodStatus: "VALID", canSendTemplates: true } as const;
const NOT_FUNDED = { setupStatus: "NOT_STARTED", methodStatus: "NONE", canSendTemplates: false } as const;

export const SenderSchema = z
  .object({
    id: z.string().openapi({ example: "snd_abc123" }),
    name: z.string().openapi({
      description: "The name the partner gave it, else the number's verified name, or the Page's name.",
    }),
    phoneNumber: z.string().openapi({
      description:
        "The WhatsApp number in E.164. A Facebook Page sender has no phone number: the empty string.",
      example: "+14155550100",
    }),
    channels: z.array(z.string()).openapi({
      description: "Channels this sender can send on: `whatsapp` or `messenger`.",
      example: ["whatsapp"],
    }),
    isDefault: z.boolean().openapi({
      description:
        "Whether this sender is the project's default (one per project and mode while it has senders).",
    }),
    status: z.enum(SENDER_STATUSES).openapi({
      description:
        "The sender's state as Meta last reported it (docs/senders.md): `active`; `pending_verification`, `pending_registration`; `restricted` (Meta limits it); `reauthorization_required` (Meta refused its token: connect it again with a new invitation); `disconnected` (the client removed the app, or the account was banned or deleted); `error`.",
      example: "active",
    }),
    statusChangedAt: z.iso.datetime().openapi({ description: "When `status` last changed." }),
    whatsapp: z
      .object({
        displayPhoneNumber: z.string().openapi({ example: "+1 415-555-0100" }),
        phoneNumberId: z.string().openapi({ description: "Meta's phone-number id." }),
        qualityRating: z.string().nullable().openapi({
          description:
            "Meta's quality rating of the number (`GREEN`, `YELLOW`, `RED`), as its webhooks last reported it; null until then.",
        }),
        messagingLimitTier: z.string().nullable().openapi({
          description: "Meta's messaging limit tier (e.g. `TIER_1K`), as last reported; null until then.",
        }),
        nameStatus: z.string().nullable().openapi({
          description:
            "Meta's decision on the display name (`APPROVED`, `REJECTED`, ...), as last reported; null until then.",
        }),
        paymentStatus: PaymentStatusSchema.optional(),
      })
      .optional()
      .openapi({ description: "Present on WhatsApp senders." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Sender");

export type Sender = z.infer<typeof SenderSchema>;

export const SenderListSchema = z
  .object({
    items: z.array(SenderSchema),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` to get the next page; null on the last page.",
    }),
  })
  .openapi("SenderList");

/** A row as the SDK's `Sender`. Tokens and the PIN stay in the row: never serialised. */
export function serializeSender(row: SenderRow): Sender {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: row.id,
    name: row.customName ?? row.name ?? row.displayPhoneNumber ?? row.providerAccountId,
    phoneNumber: row.phoneNumber ?? "",
    channels: [row.channel],
    isDefault: row.isDefault,
    status: row.status,
    statusChangedAt: iso(row.statusChangedAt ?? row.createdAt),
    ...(row.channel === "whatsapp"
      ? {
          whatsapp: {
            displayPhoneNumber: row.displayPhoneNumber ?? "",
            phoneNumberId: row.providerAccountId,
            qualityRating: row.qualityRating,
            messagingLimitTier: row.messagingLimitTier,
            nameStatus: row.nameStatus,
            ...(row.wabaFunded === null ? {} : { paymentStatus: row.wabaFunded ? FUNDED : NOT_FUNDED }),
          },
        }
      : {}),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/**
 * `SenderUpdateParams` fields of other Zavu products (email, SMS, voice, per-sender webhooks):
 * refused by name, so a partner learns why instead of seeing a silent no-op.
 */
const OTHER_PRODUCTS: Record<string, string> = {
  emailAddress: "Email senders are not offered by this service",
  emailCatchAllEnabled: "Email senders are not offered by this service",
  emailDomainId: "Email senders are not offered by this service",
  emailFromName: "Email senders are not offered by this service",
  emailReceivingEnabled: "Email senders are not offered by this service",
  enableSmsOneway: "SMS is not offered by this service",
  enableVoice: "Voice is not offered by this service",
  webhookActive: "Per-sender webhooks are not offered: use /v1/invitations/webhook",
  webhookEvents: "Per-sender webhooks are not offered: use /v1/invitations/webhook",
  webhookSignatureVersion: "Per-sender webhooks are not offered: use /v1/invitations/webhook",
  webhookUrl: "Per-sender webhooks are not offered: use /v1/invitations/webhook",
};

const SENDER_UPDATE_FIELDS: readonly string[] = ["name", "setAsDefault"];

/** Field to message for every key of an update body other than name and setAsDefault. */
export function refusedUpdateFields(body: Record<string, unknown>): Record<string, string> {
  const fields = new Map<string, string>();
  for (const key of Object.keys(body)) {
    if (SENDER_UPDATE_FIELDS.includes(key)) continue;
    fields.set(key, Object.hasOwn(OTHER_PRODUCTS, key) ? (OTHER_PRODUCTS[key] ?? "") : "Unknown field");
  }
  return Object.fromEntries(fields);
}

export const SenderUpdateSchema = z
  .object({
    name: z.string().trim().min(1, "Must not be empty").max(100, "Must be at most 100 characters").optional(),
    setAsDefault: z.boolean().optional().openapi({
      description:
        "`true` makes this sender the project's default (the previous one stops being it). `false` on the default sender is refused: set another sender as default instead.",
    }),
  })
  // Unknown keys kept (not stripped): the handler refuses each by name (refusedUpdateFields).
  .catchall(z.unknown())
  .openapi("SenderUpdate", {
    description:
      "What can change on a sender: its name and whether it is the default. The email, SMS, voice and webhook fields of Zavu's `SenderUpdateParams` are refused with 400 `invalid_request`.",
  });

export const SenderDeletedSchema = z
  .object({
    id: z.string().openapi({ example: "snd_abc123" }),
    deleted: z.literal(true),
  })
  .openapi("SenderDeleted");

// The WhatsApp Business profile, as `@zavudev/sdk` 0.57.0 has it (`WhatsappBusinessProfile`),
// with its limits (and Meta's: email at most 128 characters, a website http(s) and at most 256).

export const PROFILE_VERTICALS = [
  "UNDEFINED",
  "OTHER",
  "AUTO",
  "BEAUTY",
  "APPAREL",
  "EDU",
  "ENTERTAIN",
  "EVENT_PLAN",
  "FINANCE",
  "GROCERY",
  "GOVT",
  "HOTEL",
  "HEALTH",
  "NONPROFIT",
  "PROF_SERVICES",
  "RETAIL",
  "TRAVEL",
  "RESTAURANT",
  "NOT_A_BIZ",
] as const;

export const WhatsappBusinessProfileSchema = z
  .object({
    about: z.string().optional().openapi({ description: "Short description (at most 139 characters)." }),
    address: z.string().optional().openapi({ description: "At most 256 characters." }),
    description: z.string().optional().openapi({ description: "At most 512 characters." }),
    email: z.string().optional(),
    profilePictureUrl: z.string().optional().openapi({ description: "Meta's URL of the profile picture." }),
    vertical: z
      .string()
      .optional()
      .openapi({
        description: `Business category: ${PROFILE_VERTICALS.join(", ")} (Meta may report others).`,
      }),
    websites: z.array(z.string()).optional().openapi({ description: "At most 2." }),
  })
  .openapi("WhatsappBusinessProfile");

export const WhatsappBusinessProfileResponseSchema = z
  .object({ profile: WhatsappBusinessProfileSchema })
  .openapi("WhatsappBusinessProfileResponse");

export const ProfileUpdatedResponseSchema = z
  .object({ success: z.boolean(), profile: WhatsappBusinessProfileSchema })
  .openapi("SenderProfileUpdated");

const website = z
  .string()
  .max(256, "Must be at most 256 characters")
  .regex(/^https?:\/\/[^\s/$.?#][^\s]*$/i, "Must be an http:// or https:// URL");

export const ProfileUpdateSchema = z
  .object({
    about: z.string().min(1, "Must not be empty").max(139, "Must be at most 139 characters").optional(),
    address: z.string().max(256, "Must be at most 256 characters").optional(),
    description: z.string().max(512, "Must be at most 512 characters").optional(),
    email: z.email("Must be an email address").max(128, "Must be at most 128 characters").optional(),
    vertical: z.enum(PROFILE_VERTICALS).optional(),
    websites: z.array(website).max(2, "At most 2 websites").optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: "Give at least one field to change" })
  .openapi("SenderProfileUpdate");

export const PICTURE_MIME_TYPES = ["image/jpeg", "image/png"] as const;

export const ProfilePictureSchema = z
  .object({
    imageUrl: z.string().min(1).openapi({
      description:
        "An https URL of the image, on a public host (the rules of webhook URLs); fetched once, without following redirects, at most 5 MiB.",
      example: "https://example.com/profile.jpg",
    }),
    mimeType: z.enum(PICTURE_MIME_TYPES).openapi({ description: "Checked against the image's bytes." }),
  })
  .strict()
  .openapi("SenderProfilePicture");

// `@zavudev/sdk` 0.57.0's WhatsApp coexistence sync (resources/senders/whatsapp-sync.d.ts).

export const WhatsappSyncStatusSchema = z
  .object({
    isCoexistence: z
      .boolean()
      .openapi({ description: "Whether the number is also on the WhatsApp Business app." }),
    status: z
      .enum(["pending_verification", "pending_registration", "active", "disconnected", "error"])
      .openapi({
        description:
          "The sender's status in the SDK's terms: `restricted` reads `active` (still connected), `reauthorization_required` reads `disconnected`.",
      }),
    contacts: z.object({
      canSync: z.boolean(),
      status: z.enum(["not_requested", "pending", "syncing", "completed"]),
      requestedAt: z.iso.datetime().nullable(),
    }),
    history: z.object({
      canSync: z.boolean(),
      status: z.enum(["not_requested", "pending", "syncing", "completed", "rejected"]),
      requestedAt: z.iso.datetime().nullable(),
      completedAt: z.iso.datetime().nullable(),
    }),
  })
  .openapi("WhatsAppSyncStatus");

export const WhatsappSyncResponseSchema = z
  .object({ sync: WhatsappSyncStatusSchema })
  .openapi("WhatsappSyncRetrieveResponse");

export const WhatsappSyncStartedSchema = z
  .object({ message: z.string(), sync: WhatsappSyncStatusSchema })
  .openapi("WhatsappSyncStarted");
