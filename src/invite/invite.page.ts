import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { invitations, projects } from "../db/schema";
import { effectiveStatus, markViewed } from "../invitations/lifecycle";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { hmacSha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

// The token is a bearer credential in the URL: keep it out of caches, referrers and indexes.
const PAGE_HEADERS = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Robots-Tag": "noindex",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'",
};

const CLOSED_MESSAGES = {
  cancelled: "This invitation was cancelled by the sender. Ask them for a new link.",
  expired: "This invitation has expired. Ask the sender for a new link.",
  completed: "This invitation has already been used: the account is connected.",
} as const;

function page(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.5rem; }
  .muted { color: #59636e; }
</style>
</head>
<body>${body}</body>
</html>`;
}

function wantsHtml(accept: string | undefined): boolean {
  return accept?.toLowerCase().includes("text/html") ?? false;
}

/**
 * `GET /invite/:token`, the link a partner's client opens (rate-limited per client address by
 * the app, like every route outside /v1).
 * Browsers get an HTML page (also for a link that no longer works: 404 or 410); other clients
 * get JSON, with errors in the contract's `Error` shape.
 */
export const invitePage = new Hono<AppEnv>().get("/invite/:token", async (c) => {
  const token = c.req.param("token");
  const asHtml = wantsHtml(c.req.header("Accept"));
  const config = readConfig(c.env, c.req.url);
  const now = c.get("now")();

  const [found] = TOKEN_PATTERN.test(token)
    ? await c
        .get("db")
        .select({ invitation: invitations, projectName: projects.name })
        .from(invitations)
        .innerJoin(projects, eq(projects.id, invitations.projectId))
        .where(eq(invitations.tokenHash, await hmacSha256Hex(config.tokenHashKey, token)))
        .limit(1)
    : [];

  if (!found) {
    if (!asHtml) throw new ApiError("not_found", "No invitation for this link");
    return c.html(
      page("Invitation not found", html`<h1>Invitation not found</h1><p>Check the link you were sent.</p>`),
      404,
      PAGE_HEADERS,
    );
  }

  const { invitation, projectName } = found;
  const status = effectiveStatus(invitation, now);
  if (status === "cancelled" || status === "expired" || status === "completed") {
    if (!asHtml) throw new ApiError("gone", CLOSED_MESSAGES[status], { details: { status } });
    return c.html(
      page(
        "Invitation no longer available",
        html`<h1>This link no longer works</h1><p>${CLOSED_MESSAGES[status]}</p>`,
      ),
      410,
      PAGE_HEADERS,
    );
  }

  // Only a GET is a view: HEAD (link checkers, unfurlers) must not change anything.
  if (c.req.method === "GET" && status === "pending" && invitation.viewedAt === null) {
    await markViewed(c.get("db"), invitation.id, now);
  }
  const channel =
    invitation.connectionType === "messenger" ? "a Facebook Page (Messenger)" : "WhatsApp Business";
  if (!asHtml) {
    return c.json(
      {
        invitation: {
          id: invitation.id,
          status,
          connectionType: invitation.connectionType,
          clientName: invitation.clientName,
          partnerName: projectName,
          expiresAt: new Date(invitation.expiresAt).toISOString(),
        },
      },
      200,
      PAGE_HEADERS,
    );
  }
  return c.html(
    page(
      `Connect ${channel}`,
      html`<h1>${projectName} invites ${invitation.clientName ?? "you"} to connect ${channel}</h1>
<p class="muted">This link expires on ${new Date(invitation.expiresAt).toUTCString()}.</p>`,
    ),
    200,
    PAGE_HEADERS,
  );
});
