import { INVITE_SCRIPT_PATH } from "../invite/script";
import { INVITE_STYLE_PATH } from "../invite/style";

/** The path the Scalar bundle is served at; src/app.ts points Scalar's `cdn` option here. */
export const SCALAR_BUNDLE_PATH = "/docs/scalar.js";

/**
 * Every path the static Worker serves (wrangler.static.toml; scripts/docs-assets.ts writes its
 * files): the Scalar bundle and the invite pages' script and stylesheet. Exact paths, not a
 * prefix: anything else is the API Worker's own 404, without a call to the other.
 */
export const STATIC_PATHS = [SCALAR_BUNDLE_PATH, INVITE_SCRIPT_PATH, INVITE_STYLE_PATH] as const;
