import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../lib/openapi";
import { SenderListSchema, SenderSchema } from "./senders.schemas";

const tags = ["Senders"];
const security = [{ bearerAuth: [] }];

const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

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
      limit: z
        .string()
        .regex(/^\d+$/, { error: "Must be an integer from 1 to 100" })
        .transform(Number)
        .pipe(z.number().int().min(1, "Must be at least 1").max(100, "Must be at most 100"))
        .optional()
        .openapi({ type: "integer", default: 50, minimum: 1, maximum: 100 }),
      cursor: z.string().min(1).optional().openapi({ description: "`nextCursor` of the previous page." }),
    }),
  },
  responses: {
    200: json(SenderListSchema, "List of senders."),
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
    200: json(SenderSchema, "Sender details."),
    401: errorResponses[401],
    404: errorResponses[404],
    429: errorResponses[429],
  },
});
