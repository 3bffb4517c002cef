import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { BASE } from "../support/api";

/** Meta configured: invitations made with a live key are live (Meta's SDK), test-key ones are not. */
export const LIVE_META = {
  META_APP_ID: "4242424242424242",
  META_CONFIG_ID: "cfg-whatsapp-777",
  META_MESSENGER_CONFIG_ID: "cfg-pages-888",
  META_GRAPH_VERSION: "v23.0",
} as const;

export const HTML = "text/html,application/xhtml+xml";

/**
 * The Worker's app on the test D1 with some vars replaced (vitest.config.ts leaves META_APP_ID
 * empty: every invitation in test mode). Called like the real Worker's fetch.
 */
export function pageCaller(vars: Partial<Env> = {}) {
  const app = createApp();
  return async (path: string, init: RequestInit = {}): Promise<Response> => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, init), { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

export function pageHtml(language?: string): RequestInit {
  return { headers: { Accept: HTML, ...(language === undefined ? {} : { "Accept-Language": language }) } };
}

/** Puts an invitation in a state directly (page rendering tests; the flow endpoints have their own). */
export async function setState(
  id: string,
  fields: { status: string; failure_reason?: string | null; mode?: "live" | "test" },
): Promise<void> {
  const entries = Object.entries(fields);
  await env.DB.prepare(`UPDATE invitations SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE id = ?`)
    .bind(...entries.map(([, v]) => v ?? null), id)
    .run();
}

/** The JSON the page hands its script (`<script type="application/json" id="invite-data">`). */
export function pageData(html: string): Record<string, unknown> {
  const match = /<script type="application\/json" id="invite-data">([^<]*)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error("no #invite-data block in the page");
  return JSON.parse(match[1]) as Record<string, unknown>;
}

export function cspNonce(csp: string | null): string {
  const match = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? "");
  if (!match?.[1]) throw new Error(`no nonce in CSP ${csp}`);
  return match[1];
}

/** Text as hono/html escapes it into the page. */
export function escaped(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
