/**
 * Generates public/, the files of wrangler.toml's [assets]: the Scalar API reference bundle for
 * /docs, copied from node_modules so that /docs needs no third-party CDN, the invite pages'
 * script and stylesheet (built from src/invite/page/page.ts and page.css by esbuild), and
 * public/_headers, the headers
 * Cloudflare's asset layer adds to them (nosniff, Cache-Control). All kept out of the Worker's
 * bundle (the cold start), and served without invoking the Worker. public/ is generated, never
 * committed; this runs before `wrangler dev` (scripts/dev.ts), in the test configs, in
 * `npm run deploy`, `npm run size` and `npm run bench`. `tsx scripts/docs-assets.ts` runs it alone.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, transformSync } from "esbuild";
import { SCALAR_BUNDLE_PATH } from "../src/assets";
import { INVITE_RETURN_SCRIPT_PATH, INVITE_SCRIPT_PATH, INVITE_STYLE_PATH } from "../src/invite/assets";

/** Where wrangler.toml's `[assets] directory` points. */
export const ASSETS_DIR = "public";

/**
 * Cache-Control of each file. The invite pages' script and stylesheet change with every deploy
 * at the same path, and must match the page that loads them: a browser revalidates them on each
 * view (a 304 from the asset layer, no Worker invocation). The Scalar bundle changes only with
 * the @scalar/api-reference version: a day.
 */
export const ASSET_CACHE_CONTROL: Record<string, string> = {
  [SCALAR_BUNDLE_PATH]: "public, max-age=86400",
  [INVITE_SCRIPT_PATH]: "public, max-age=0, must-revalidate",
  [INVITE_STYLE_PATH]: "public, max-age=0, must-revalidate",
  [INVITE_RETURN_SCRIPT_PATH]: "public, max-age=0, must-revalidate",
};

/** public/_headers: for each file, exactly its path, nosniff and its Cache-Control. */
export function assetHeaders(): string {
  return Object.entries(ASSET_CACHE_CONTROL)
    .map(([at, cache]) => `${at}\n  X-Content-Type-Options: nosniff\n  Cache-Control: ${cache}\n`)
    .join("");
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The sources of the invite pages' script and stylesheet (browser code, ./tsconfig.json there). */
export const INVITE_PAGE_SOURCES = {
  script: path.join("src", "invite", "page", "page.ts"),
  returnScript: path.join("src", "invite", "page", "return-page.ts"),
  style: path.join("src", "invite", "page", "page.css"),
} as const;

/**
 * The invite pages' script as served: page.ts and the modules it imports (./verify.ts,
 * ./redirect.ts, ./journey.ts, src/lib/user-agent.ts),
 * bundled, with their types stripped, in one function (its names stay out of the page's
 * globals), strict as it was written. Not minified: a browser's developer tools show it as
 * written, and it is small (docs/invite-page.md).
 */
export function inviteScript(root: string = projectRoot, entry: string = INVITE_PAGE_SOURCES.script): string {
  // Bundled: page.ts imports its sibling modules and src/lib/user-agent.ts (the one list of
  // in-app browser markers, the server's too); still one unminified function.
  const [output] = buildSync({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2022",
    // Strict as written, whatever esbuild infers from the tsconfig.
    banner: { js: '"use strict";' },
    absWorkingDir: root,
    logLevel: "silent",
  }).outputFiles;
  if (!output) throw new Error(`docs-assets: esbuild wrote nothing for ${entry}`);
  return output.text;
}

/** The invite pages' stylesheet as served: page.css, minified. */
export function inviteStyle(root: string = projectRoot): string {
  const source = readFileSync(path.join(root, INVITE_PAGE_SOURCES.style), "utf8");
  return transformSync(source, { loader: "css", minify: true, sourcefile: INVITE_PAGE_SOURCES.style }).code;
}

/** Writes public/: the Scalar standalone bundle, the invite pages' script and stylesheet, _headers; returns the Scalar file. */
export function buildDocsAssets(root: string = projectRoot): string {
  for (const [at, text] of [
    [INVITE_SCRIPT_PATH, inviteScript(root)],
    [INVITE_STYLE_PATH, inviteStyle(root)],
    [INVITE_RETURN_SCRIPT_PATH, inviteScript(root, INVITE_PAGE_SOURCES.returnScript)],
    ["/_headers", assetHeaders()],
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
