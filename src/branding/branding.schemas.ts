import { z } from "@hono/zod-openapi";
import { webhookUrlProblem } from "../webhooks/url-policy";

const LONE_SURROGATE = /\p{Cs}/u;

/** An https link the page shows: the webhooks' URL rules, never http or a local host. */
const httpsUrl = (description: string) =>
  z
    .string()
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, { allowLocal: false });
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .nullable()
    .optional()
    .openapi({ description: `${description} https only.`, example: "https://partner.example.com/help" });

export const BrandingUpdateRequestSchema = z
  .object({
    displayName: z
      .string()
      .trim()
      .min(1)
      .max(80)
      .refine((v) => !LONE_SURROGATE.test(v), "Must be valid Unicode text")
      .nullable()
      .optional()
      .openapi({
        description:
          'The name the page shows: "{displayName} invites {clientName}". Default: the project\'s name.',
        example: "Acme Messaging",
      }),
    accentColor: z
      .string()
      .regex(/^#[0-9A-Fa-f]{6}$/, { error: "Must be a colour as #RRGGBB" })
      .transform((v) => v.toUpperCase())
      .nullable()
      .optional()
      .openapi({
        description:
          "Background of the page's main action, `#RRGGBB` (stored upper case). Its text is black or white, whichever contrasts more (always at least 4.5:1).",
        example: "#0B57D0",
      }),
    supportEmail: z
      .email({ error: "Must be a valid email address" })
      .max(254)
      .nullable()
      .optional()
      .openapi({ description: "Shown as a mailto: link for help.", example: "help@partner.example.com" }),
    supportUrl: httpsUrl("Your help page, linked from the page."),
    privacyPolicyUrl: httpsUrl("Your privacy policy, linked from the page."),
    termsUrl: httpsUrl("Your terms, linked from the page."),
  })
  .strict()
  .openapi("BrandingUpdateRequest");

export const BrandingSchema = z
  .object({
    displayName: z.string().nullable(),
    accentColor: z.string().nullable(),
    supportEmail: z.string().nullable(),
    supportUrl: z.string().nullable(),
    privacyPolicyUrl: z.string().nullable(),
    termsUrl: z.string().nullable(),
    logoUrl: z.string().nullable().openapi({
      description:
        "Where the logo is served, named by the SHA-256 of its bytes (cached for a year, immutable); null without a logo.",
    }),
    updatedAt: z.iso.datetime().nullable().openapi({ description: "null when never set." }),
  })
  .openapi("Branding");

export const BrandingResponseSchema = z.object({ branding: BrandingSchema }).openapi("BrandingResponse");
