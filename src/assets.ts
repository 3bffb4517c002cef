import { INVITE_RETURN_SCRIPT_PATH, INVITE_SCRIPT_PATH, INVITE_STYLE_PATH } from "./invite/assets";

/** The path the Scalar bundle is served at; src/app.ts points Scalar's `cdn` option here. */
export const SCALAR_BUNDLE_PATH = "/docs/scalar.js";

/**
 * Every file of wrangler.toml's [assets] (public/, written by scripts/docs-assets.ts): the
 * Scalar bundle and the invite pages' script and stylesheet. Cloudflare serves them before the
 * Worker runs; no route of the app matches any of them.
 */
export const ASSET_PATHS = [
  SCALAR_BUNDLE_PATH,
  INVITE_SCRIPT_PATH,
  INVITE_STYLE_PATH,
  INVITE_RETURN_SCRIPT_PATH,
] as const;
