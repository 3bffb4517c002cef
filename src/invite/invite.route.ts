import { createRoute, z } from "@hono/zod-openapi";
import { ErrorSchema } from "../lib/openapi";
import { InviteTokenParam, InviteViewSchema } from "../onboarding/onboarding.schemas";

const page = (description: string) =>
  z
    .string()
    .openapi({ description: `${description} (for a request whose \`Accept\` includes \`text/html\`).` });

/** Browsers (Accept: text/html) get a page in their language; other clients JSON. */
export const invitePageRoute = createRoute({
  method: "get",
  path: "/invite/{token}",
  operationId: "openInvite",
  summary: "Open an invitation link",
  description:
    "The link a partner's client opens. A browser gets the page, in English, Spanish or Portuguese by `Accept-Language`, that connects WhatsApp (Meta's Embedded Signup) or a Facebook Page, or in test mode simulates it; its script then calls `POST /invite/{token}/start|complete|pages|fail`. Other clients get the client's view as JSON. The first `GET` records `viewedAt` (`HEAD` does not). Responses are `no-store`, `no-referrer`, `noindex`, with a strict Content-Security-Policy.",
  tags: ["Invite link (client)"],
  // The token in the path is the only credential: no API key.
  security: [],
  request: { params: InviteTokenParam },
  responses: {
    200: {
      description: "The invitation is open (`pending`, `in_progress` or `failed`).",
      content: {
        "application/json": { schema: InviteViewSchema },
        "text/html": { schema: page("The page with its one action") },
      },
    },
    404: {
      description: "No invitation for this token, whatever its shape (code `not_found`).",
      content: {
        "application/json": { schema: ErrorSchema },
        "text/html": { schema: page("A page saying so") },
      },
    },
    410: {
      description:
        "The invitation was cancelled, has expired, or was completed (code `gone`, `details.status`).",
      content: {
        "application/json": { schema: ErrorSchema },
        "text/html": { schema: page("A page saying why, naming neither partner nor client") },
      },
    },
    429: {
      description: "Too many requests from this address (code `rate_limited`); see `Retry-After`.",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});
