import { z } from "@hono/zod-openapi";
import type { SenderRow } from "../db/schema";

// `@zavudev/sdk` 0.57.0's `Sender` (resources/senders/senders.d.ts): the fields a sender made by
// an invitation has. The object is answered as is, not wrapped.

export const SenderSchema = z
  .object({
    id: z.string().openapi({ example: "snd_abc123" }),
    name: z.string().openapi({ description: "The number's verified name, or the Page's name." }),
    phoneNumber: z.string().openapi({
      description:
        "The WhatsApp number in E.164. A Facebook Page sender has no phone number: the empty string.",
      example: "+14155550100",
    }),
    channels: z.array(z.string()).openapi({
      description: "Channels this sender can send on: `whatsapp` or `messenger`.",
      example: ["whatsapp"],
    }),
    whatsapp: z
      .object({
        displayPhoneNumber: z.string().openapi({ example: "+1 415-555-0100" }),
        phoneNumberId: z.string().openapi({ description: "Meta's phone-number id." }),
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
    name: row.name ?? row.displayPhoneNumber ?? row.providerAccountId,
    phoneNumber: row.phoneNumber ?? "",
    channels: [row.channel],
    ...(row.channel === "whatsapp"
      ? {
          whatsapp: {
            displayPhoneNumber: row.displayPhoneNumber ?? "",
            phoneNumberId: row.providerAccountId,
          },
        }
      : {}),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
