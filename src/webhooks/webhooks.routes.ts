import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, IdempotencyKeyHeader, jsonBody, jsonResponse, pageQuery } from "../lib/openapi";
import {
  WebhookCreateRequestSchema,
  WebhookDeliveryListSchema,
  WebhookOrNullResponseSchema,
  WebhookResendResponseSchema,
  WebhookResponseSchema,
  WebhookSecretResponseSchema,
  WebhookUpdateRequestSchema,
} from "./webhooks.schemas";

// Literal paths under /v1/invitations/webhook: the app mounts this router before the
// invitations router, so "webhook" is never read as an {invitationId}.

const tags = ["Webhooks"];
const security = [{ bearerAuth: [] }];
const PATH = "/v1/invitations/webhook";

export const createWebhook = createRoute({
  method: "post",
  path: PATH,
  operationId: "createWebhook",
  summary: "Create or replace the webhook",
  description:
    'Sets this project\'s webhook of the key\'s mode (test and live keys each have their own, with its own URL and secret, and receive only their own mode\'s events): creates it (201), or replaces its URL and events and activates it (200). Replacing keeps the signing secret. The answer carries the `secret` (`whsec_…`).\n\nEvery status change of an invitation is then POSTed to `url` as `invitation.status_changed`, signed with `X-Zavu-Signature: t=<unix s>,v2=<hex HMAC-SHA256(secret, "<t>.<body>")>` (with `signatureVersion: "v1+v2"`, also `v1=<hex HMAC-SHA256(secret, body)>`), and retried with exponential backoff until a 2xx or the last attempt. Every retry carries the same event `id`.',
  tags,
  security,
  request: { body: jsonBody(WebhookCreateRequestSchema), headers: IdempotencyKeyHeader },
  responses: {
    200: jsonResponse(WebhookSecretResponseSchema, "Webhook replaced (secret kept) and active."),
    201: jsonResponse(WebhookSecretResponseSchema, "Webhook created."),
    400: errorResponses[400],
    401: errorResponses[401],
    409: errorResponses[409],
    413: errorResponses[413],
    415: errorResponses[415],
    422: errorResponses[422],
    429: errorResponses[429],
  },
});

export const getWebhook = createRoute({
  method: "get",
  path: PATH,
  operationId: "getWebhook",
  summary: "Get the webhook",
  description: "This project's webhook without its secret, or `{ webhook: null }`.",
  tags,
  security,
  responses: {
    200: jsonResponse(WebhookOrNullResponseSchema, "The webhook, or null."),
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

export const updateWebhook = createRoute({
  method: "patch",
  path: PATH,
  operationId: "updateWebhook",
  summary: "Update the webhook",
  description:
    "Changes the URL, the events, the `signatureVersion`, or pauses (`active: false`) and resumes deliveries.",
  tags,
  security,
  request: { body: jsonBody(WebhookUpdateRequestSchema) },
  responses: {
    200: jsonResponse(WebhookResponseSchema, "The updated webhook."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    413: errorResponses[413],
    415: errorResponses[415],
    429: errorResponses[429],
  },
});

export const deleteWebhook = createRoute({
  method: "delete",
  path: PATH,
  operationId: "deleteWebhook",
  summary: "Delete the webhook",
  description:
    "Removes the webhook; events not yet delivered are not sent. Answers `{ webhook: null }`, also when there was none.",
  tags,
  security,
  responses: {
    200: jsonResponse(WebhookOrNullResponseSchema, "Deleted: `{ webhook: null }`."),
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

export const rotateWebhookSecret = createRoute({
  method: "post",
  path: `${PATH}/secret`,
  operationId: "rotateWebhookSecret",
  summary: "Rotate the signing secret",
  description:
    "Replaces the signing secret and returns the new one. Deliveries from now on are signed with it, retries of earlier events included; for 24 hours they also carry a second signature with the secret it replaced (one `v2=` entry per secret, the new one first), so a receiver can roll to the new secret. A second rotation within those 24 hours keeps only the secret it replaces as the old one.",
  tags,
  security,
  request: { headers: IdempotencyKeyHeader },
  responses: {
    200: jsonResponse(WebhookSecretResponseSchema, "The webhook with its new secret."),
    401: errorResponses[401],
    404: errorResponses[404],
    409: errorResponses[409],
    422: errorResponses[422],
    429: errorResponses[429],
  },
});

export const listWebhookDeliveries = createRoute({
  method: "get",
  path: `${PATH}/deliveries`,
  operationId: "listWebhookDeliveries",
  summary: "List delivery attempts",
  description: "Every attempt to deliver an event to this project's webhook, newest first, a page at a time.",
  tags,
  security,
  request: {
    query: z.object({
      ...pageQuery,
    }),
  },
  responses: {
    200: jsonResponse(WebhookDeliveryListSchema, "Delivery attempts."),
    400: errorResponses[400],
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

export const resendWebhookEvent = createRoute({
  method: "post",
  path: `${PATH}/events/{eventId}/resend`,
  operationId: "resendWebhookEvent",
  summary: "Re-send an event",
  description:
    "Queues the event again (an `invitation.status_changed` or a `sender.status_changed`), whatever its state (a failed one included): same `id`, fresh signature, a new round of attempts. A 400 `invalid_state` when the webhook is missing or paused, or does not list the event's type in its `events`.",
  tags,
  security,
  request: {
    params: z.object({
      eventId: z.string().openapi({ param: { name: "eventId", in: "path" }, example: "evt_0123abcd" }),
    }),
    headers: IdempotencyKeyHeader,
  },
  responses: {
    202: jsonResponse(WebhookResendResponseSchema, "The event is queued."),
    400: errorResponses[400],
    401: errorResponses[401],
    404: errorResponses[404],
    409: errorResponses[409],
    422: errorResponses[422],
    429: errorResponses[429],
  },
});
