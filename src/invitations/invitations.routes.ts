import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, IdempotencyKeyHeader, jsonResponse, pageQuery } from "../lib/openapi";
import {
  InvitationCreateRequestSchema,
  InvitationResponseSchema,
  InvitationSchema,
  InvitationStatusSchema,
  METADATA_MAX_VALUE_LENGTH,
} from "./invitations.schemas";

const tags = ["Invitations"];
const security = [{ bearerAuth: [] }];
const InvitationIdParam = z.object({
  invitationId: z.string().openapi({ param: { name: "invitationId", in: "path" }, example: "inv_abc123" }),
});

export const createInvitation = createRoute({
  method: "post",
  path: "/v1/invitations",
  operationId: "createInvitation",
  summary: "Create invitation",
  description:
    "Create a partner invitation link for a client to connect a Meta channel. The client opens the returned `url` and connects; the resulting sender is created in your project and the invitation transitions to `completed`. The body is optional: no body or `{}` creates an invitation with defaults.\n\n`connectionType` picks the channel: `whatsapp_waba` (default, Meta's WhatsApp Embedded Signup) or `messenger` (a Facebook Page's Messenger inbox). `phoneNumberId` and `allowedPhoneCountries` apply to `whatsapp_waba` only.",
  tags,
  security,
  request: {
    headers: IdempotencyKeyHeader,
    body: {
      required: false,
      content: {
        "application/json": {
          schema: InvitationCreateRequestSchema,
          examples: {
            basic: { summary: "Basic invitation", value: { clientName: "Acme Corp" } },
            full: {
              summary: "Full invitation with all options",
              value: {
                clientName: "Acme Corp",
                clientEmail: "contact@acme.com",
                clientPhone: "+14155551234",
                expiresInDays: 14,
                allowedPhoneCountries: ["US", "MX"],
              },
            },
            messenger: {
              summary: "Facebook Page (Messenger)",
              value: { clientName: "Acme Corp", connectionType: "messenger" },
            },
          },
        },
      },
    },
  },
  responses: {
    201: jsonResponse(InvitationResponseSchema, "Invitation created."),
    400: errorResponses[400],
    401: errorResponses[401],
    413: errorResponses[413],
    409: errorResponses[409],
    415: errorResponses[415],
    422: errorResponses[422],
    429: {
      ...errorResponses[429],
      description:
        "Rate limit exceeded (code `rate_limited`; see `Retry-After`), or the project already holds MAX_OPEN_INVITATIONS open invitations in this mode (code `rate_limited`, `details.reason` `open_invitations`, `Retry-After` 300 s: the next expiry sweep).",
    },
    500: errorResponses[500],
  },
});

export const InvitationListSchema = z
  .object({
    items: z.array(InvitationSchema),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` to get the next page; null on the last page.",
    }),
  })
  .openapi("InvitationList");

const MetadataFilterParam = z
  .record(z.string(), z.string().max(METADATA_MAX_VALUE_LENGTH))
  .optional()
  .openapi({
    maxProperties: 1,
    param: { style: "deepObject", explode: true },
    description:
      "`metadata[key]=value` (e.g. `metadata[crmId]=acct_4711`): only invitations whose metadata has that key with exactly that value. One key at a time; combinable with `status`. Keys as on create (1 to 40 of `A-Z a-z 0-9 _ -`), values up to 500 characters.",
    example: { crmId: "acct_4711" },
  });

export const listInvitations = createRoute({
  method: "get",
  path: "/v1/invitations",
  operationId: "listInvitations",
  summary: "List invitations",
  description:
    "List partner invitations for this project, newest first, a page at a time (cursor pagination). An invitation whose `expiresAt` has passed is `expired` here and in the `status` filter; `metadata[key]=value` lists only the invitations with that metadata.",
  tags,
  security,
  request: {
    // Unknown query parameters are ignored, as proxies and tools add their own.
    query: z.object({
      status: InvitationStatusSchema.optional(),
      ...pageQuery,
      // Sent as `metadata[key]=value` (deepObject), which no query schema key matches: it is
      // parsed and checked by the handler (metadataFilter); this entry documents it.
      metadata: MetadataFilterParam,
    }),
  },
  responses: {
    200: jsonResponse(InvitationListSchema, "List of invitations."),
    400: errorResponses[400],
    401: errorResponses[401],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});

export const getInvitation = createRoute({
  method: "get",
  path: "/v1/invitations/{invitationId}",
  operationId: "getInvitation",
  summary: "Get invitation",
  tags,
  security,
  request: { params: InvitationIdParam },
  responses: {
    200: jsonResponse(InvitationResponseSchema, "Invitation details."),
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});

export const cancelInvitation = createRoute({
  method: "post",
  path: "/v1/invitations/{invitationId}/cancel",
  operationId: "cancelInvitation",
  summary: "Cancel invitation",
  description:
    "Cancel an active (`pending`, `in_progress` or `failed`) invitation. The client will no longer be able to use the invitation link. A completed, cancelled or expired invitation is a 400 `invalid_state`.",
  tags,
  security,
  request: { params: InvitationIdParam, headers: IdempotencyKeyHeader },
  responses: {
    200: jsonResponse(InvitationResponseSchema, "Invitation cancelled."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    409: errorResponses[409],
    413: errorResponses[413],
    422: errorResponses[422],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});
