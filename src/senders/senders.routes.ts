import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, IdempotencyKeyHeader, jsonBody, jsonResponse, pageQuery } from "../lib/openapi";
import {
  ProfilePictureSchema,
  ProfileUpdatedResponseSchema,
  ProfileUpdateSchema,
  SenderDeletedSchema,
  SenderListSchema,
  SenderSchema,
  SenderUpdateSchema,
  WhatsappBusinessProfileResponseSchema,
  WhatsappSyncResponseSchema,
  WhatsappSyncStartedSchema,
} from "./senders.schemas";

const tags = ["Senders"];
const security = [{ bearerAuth: [] }];

export const listSenders = createRoute({
  method: "get",
  path: "/v1/senders",
  operationId: "listSenders",
  summary: "List senders",
  description:
    "The project's senders (WhatsApp numbers and Facebook Pages connected through invitations), newest first, a page at a time (cursor pagination).",
  tags,
  security,
  request: {
    query: z.object({
      ...pageQuery,
    }),
  },
  responses: {
    200: jsonResponse(SenderListSchema, "List of senders."),
    400: errorResponses[400],
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

const senderParams = z.object({
  senderId: z.string().openapi({ param: { name: "senderId", in: "path" }, example: "snd_abc123" }),
});

export const getSender = createRoute({
  method: "get",
  path: "/v1/senders/{senderId}",
  operationId: "getSender",
  summary: "Get sender",
  description: "The sender itself (not wrapped). Another project's sender is a 404.",
  tags,
  security,
  request: {
    params: senderParams,
  },
  responses: {
    200: jsonResponse(SenderSchema, "Sender details."),
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
  },
});

export const updateSender = createRoute({
  method: "patch",
  path: "/v1/senders/{senderId}",
  operationId: "updateSender",
  summary: "Update sender",
  description:
    "Renames the sender and/or makes it the project's default (`setAsDefault: true`; the previous default stops being it, in the same transaction). Answers the sender. Email, SMS, voice and per-sender webhook fields are refused (400).",
  tags,
  security,
  request: {
    params: senderParams,
    body: jsonBody(SenderUpdateSchema),
  },
  responses: {
    200: jsonResponse(SenderSchema, "The updated sender."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    413: errorResponses[413],
    415: errorResponses[415],
    429: errorResponses[429],
  },
});

export const deleteSender = createRoute({
  method: "delete",
  path: "/v1/senders/{senderId}",
  operationId: "deleteSender",
  summary: "Delete sender",
  description:
    "Removes the sender from the project and stops this app's access: the app is unsubscribed from the WhatsApp Business Account (unless another sender here uses it) or from the Page, and the sender's tokens are forgotten. The number stays registered on WhatsApp (it is never deregistered) and its registration PIN is kept for a reconnect. A deleted default is replaced by the oldest remaining sender.",
  tags,
  security,
  request: { params: senderParams },
  responses: {
    200: jsonResponse(SenderDeletedSchema, "Deleted."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
    500: errorResponses[500],
  },
});

const metaErrors = {
  429: errorResponses[429],
  500: errorResponses[500],
};

export const getSenderProfile = createRoute({
  method: "get",
  path: "/v1/senders/{senderId}/profile",
  operationId: "getSenderProfile",
  summary: "Get the WhatsApp Business profile",
  description:
    "The number's WhatsApp Business profile, read from Meta. A Messenger sender has none: 400. A sender whose access Meta revoked: 400 `invalid_state`.",
  tags,
  security,
  request: { params: senderParams },
  responses: {
    200: jsonResponse(WhatsappBusinessProfileResponseSchema, "The profile."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    ...metaErrors,
  },
});

export const updateSenderProfile = createRoute({
  method: "patch",
  path: "/v1/senders/{senderId}/profile",
  operationId: "updateSenderProfile",
  summary: "Update the WhatsApp Business profile",
  description:
    "Sets the given fields of the number's WhatsApp Business profile on Meta (the others stay) and answers the profile. The limits (about 1-139 characters, address 256, description 512, email 128, vertical one of the SDK's, at most 2 http(s) websites) are checked before Meta is called.",
  tags,
  security,
  request: {
    params: senderParams,
    body: jsonBody(ProfileUpdateSchema),
  },
  responses: {
    200: jsonResponse(ProfileUpdatedResponseSchema, "Updated: the profile as Meta now has it."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    413: errorResponses[413],
    415: errorResponses[415],
    ...metaErrors,
  },
});

export const uploadSenderProfilePicture = createRoute({
  method: "post",
  path: "/v1/senders/{senderId}/profile/picture",
  operationId: "uploadSenderProfilePicture",
  summary: "Upload the profile picture",
  description:
    "Fetches the image at `imageUrl` (https on a public host, no redirects, at most 5 MiB, bytes matching `mimeType`), uploads it to Meta (resumable upload) and sets it as the WhatsApp Business profile picture. Answers the profile.",
  tags,
  security,
  request: {
    params: senderParams,
    headers: IdempotencyKeyHeader,
    body: jsonBody(ProfilePictureSchema),
  },
  responses: {
    200: jsonResponse(ProfileUpdatedResponseSchema, "Set: the profile with its new picture."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    409: errorResponses[409],
    413: errorResponses[413],
    415: errorResponses[415],
    422: errorResponses[422],
    ...metaErrors,
  },
});

const syncErrors = {
  400: errorResponses[400],
  401: errorResponses[401],
  404: errorResponses[404],
  ...metaErrors,
};

export const getWhatsappSync = createRoute({
  method: "get",
  path: "/v1/senders/{senderId}/whatsapp-sync",
  operationId: "getSenderWhatsappSync",
  summary: "Get the coexistence sync status",
  description:
    "For a number also on the WhatsApp Business app (coexistence): where the contacts and history syncs stand, and whether each can still be started (Meta takes each once, within 24 hours of the connection). Another WhatsApp number answers `isCoexistence: false`; a Messenger sender is a 400.",
  tags,
  security,
  request: { params: senderParams },
  responses: { 200: jsonResponse(WhatsappSyncResponseSchema, "The sync status."), ...syncErrors },
});

const startDescription = (what: string) =>
  `Asks Meta (\`POST /{phone-number-id}/smb_app_data\`) to sync the WhatsApp Business app's ${what}; the data then arrives through Meta's webhooks and the status moves on. Refused (400) for a number not on the WhatsApp Business app, once Meta's 24-hour window after the connection has passed, once already requested, for a sender that is not active, and for a Messenger sender.`;

export const startContactsSync = createRoute({
  method: "post",
  path: "/v1/senders/{senderId}/whatsapp-sync/contacts",
  operationId: "startSenderContactsSync",
  summary: "Start the contacts sync",
  description: startDescription("contacts"),
  tags,
  security,
  request: { params: senderParams, headers: IdempotencyKeyHeader },
  responses: {
    200: jsonResponse(WhatsappSyncStartedSchema, "Requested."),
    ...syncErrors,
    409: errorResponses[409],
    422: errorResponses[422],
  },
});

export const startHistorySync = createRoute({
  method: "post",
  path: "/v1/senders/{senderId}/whatsapp-sync/history",
  operationId: "startSenderHistorySync",
  summary: "Start the message history sync",
  description: `${startDescription("message history (the business approves sharing it in the app)")}`,
  tags,
  security,
  request: { params: senderParams, headers: IdempotencyKeyHeader },
  responses: {
    200: jsonResponse(WhatsappSyncStartedSchema, "Requested."),
    ...syncErrors,
    409: errorResponses[409],
    422: errorResponses[422],
  },
});
