/**
 * Generates public/, the files of the static Worker (wrangler.static.toml, the Worker the API
 * Worker forwards their paths to, src/static/static.route.ts): the Scalar API
 * reference bundle for /docs, copied from node_modules so that /docs needs no third-party CDN,
 * and the invite pages' script and stylesheet (src/invite/script.ts, style.ts); all kept out of
 * the API Worker's bundle (the cold start). public/ is generated, never committed; this runs
 * before `wrangler dev` (scripts/dev.ts), in the test configs, in `npm run deploy` and in
 * `npm run bench`. `tsx scripts/docs-assets.ts` runs it alone.
 */
import { copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { INVITE_SCRIPT, INVITE_SCRIPT_PATH } from "../src/invite/script";
import { INVITE_STYLE, INVITE_STYLE_PATH } from "../src/invite/style";
import { SCALAR_BUNDLE_PATH } from "../src/static/paths";

/** Where wrangler.static.toml's `[assets] directory` points. */
export const ASSETS_DIR = "public";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Writes public/: the Scalar standalone bundle, the invite pages' script and stylesheet; returns the Scalar file. */
export function buildDocsAssets(root: string = projectRoot): string {
  for (const [at, text] of [
    [INVITE_SCRIPT_PATH, INVITE_SCRIPT],
    [INVITE_STYLE_PATH, INVITE_STYLE],
  ] as const) {
    const file = path.join(root, ASSETS_DIR, ...at.split("/"));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  const source = createRequire(path.join(root, "package.json")).resolve(
    "@scalar/api-reference/browser/standalone.js",
  );
  const target = path.join(root, ASSETS_DIR, ...SCALAR_BUNDLE_PATH.split("/"));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
  if (statSync(target).size === 0) throw new Error(`docs-assets: ${source} is empty`);
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = buildDocsAssets();
  console.error(`docs-assets: wrote ${path.relative(process.cwd(), written)}`);
}
