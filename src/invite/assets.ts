/**
 * Where the invite pages' script and stylesheet are served: static assets (wrangler.toml
 * [assets]) built by scripts/docs-assets.ts from their sources in ./page/ (page.ts, page.css).
 * Not under /invite/, where a token could be any name, and not under /v1/.
 */
export const INVITE_SCRIPT_PATH = "/invite-assets/page.js";
export const INVITE_STYLE_PATH = "/invite-assets/page.css";
/** The countdown of the page of an invitation already used, back to the partner (page/return-page.ts). */
export const INVITE_RETURN_SCRIPT_PATH = "/invite-assets/return.js";
