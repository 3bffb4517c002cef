import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonResponse, pageQuery } from "../lib/openapi";
import { SenderListSchema, SenderSchema } from "./senders.schemas";

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

export const getSender = createRoute({
  method: "get",
  path: "/v1/senders/{senderId}",
  operationId: "getSender",
  summary: "Get sender",
  description: "The sender itself (not wrapped). Another project's sender is a 404.",
  tags,
  security,
  request: {
    params: z.object({
      senderId: z.string().openapi({ param: { name: "senderId", in: "path" }, example: "snd_abc123" }),
    }),
  },
  responses: {
    200: jsonResponse(SenderSchema, "Sender details."),
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
  },
});
