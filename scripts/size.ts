/**
 * `npm run size`: the Worker bundle as deployed (`wrangler deploy --dry-run --minify`),
 * minified and gzipped, against its budget; and what each dependency costs in it, from the
 * bundler's metafile. Fails past the budget (part of `npm test`, so of CI).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { buildDocsAssets } from "./docs-assets";

/** Cold start budget: the whole Worker, gzip. */
const BUDGET_BYTES = 100 * 1024;

interface Metafile {
  inputs: Record<string, { imports?: { path: string; original?: string }[] }>;
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/**
 * Who may import each stand-in of build/ (wrangler.toml [alias]). Most keys there are relative
 * import strings ("../relations.js", "./hono.js"), which wrangler matches whole in every file it
 * bundles: a new dependency that happened to import one of them would silently get the
 * stand-in. So the budget check also fails on any importer not listed here.
 */
const STAND_IN_IMPORTERS: Record<string, string[]> = {
  "build/zod.js": ["node_modules/@hono/zod-openapi/dist/index.mjs", "build/zod.js"],
  "build/zod-iso.js": ["build/zod.js"],
  "build/zod-no-json-schema.js": ["node_modules/zod/v4/classic/schemas.js"],
  "build/zod-to-openapi.js": ["node_modules/@hono/zod-openapi/dist/index.mjs"],
  "build/drizzle-no-pg.js": ["node_modules/drizzle-orm/sql/sql.js", "node_modules/drizzle-orm/relations.js"],
  "build/drizzle-no-relational.js": [
    "node_modules/drizzle-orm/d1/driver.js",
    "node_modules/drizzle-orm/sqlite-core/dialect.js",
    "node_modules/drizzle-orm/sqlite-core/db.js",
  ],
  "build/hono.js": ["node_modules/hono/dist/index.js"],
};

/** Imports of a build/ stand-in from a file not in STAND_IN_IMPORTERS, as messages. */
function unexpectedStandInImports(meta: Metafile): string[] {
  const found: string[] = [];
  for (const [importer, { imports = [] }] of Object.entries(meta.inputs)) {
    for (const { path: target, original } of imports) {
      if (!target.startsWith("build/")) continue;
      // src/ may import "zod" itself (build/zod.js), like @hono/zod-openapi does.
      const allowed =
        STAND_IN_IMPORTERS[target]?.includes(importer) ||
        (target === "build/zod.js" && importer.startsWith("src/"));
      if (!allowed) found.push(`${importer} imports "${original ?? target}", aliased to ${target}`);
    }
  }
  return found;
}

/** `node_modules/zod/v4/core/x.js` → `zod`; our own files by folder. */
function owner(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  if (input.startsWith("src/")) return `src/${input.split("/")[1]?.replace(/\.ts$/, "") ?? ""}`;
  return input.startsWith("build/") ? "build (zod entry, wrangler.toml [alias])" : "wrangler (entry shims)";
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function main(): void {
  buildDocsAssets();
  const out = mkdtempSync(path.join(tmpdir(), "worker-size-"));
  try {
    const metafile = path.join(out, "meta.json");
    const run = spawnSync(
      process.execPath,
      [
        path.join("node_modules", "wrangler", "bin", "wrangler.js"),
        "deploy",
        "--dry-run",
        "--minify",
        "--outdir",
        out,
        "--metafile",
        metafile,
      ],
      { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stderr}\n${run.stdout}`);
    const bundles = readdirSync(out).filter((f) => f.endsWith(".js"));
    const raw = bundles.reduce((sum, f) => sum + readFileSync(path.join(out, f)).byteLength, 0);
    const gzip = bundles.reduce(
      (sum, f) => sum + gzipSync(readFileSync(path.join(out, f)), { level: 9 }).byteLength,
      0,
    );

    const meta = JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
    const costs = new Map<string, number>();
    for (const output of Object.values(meta.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        costs.set(owner(input), (costs.get(owner(input)) ?? 0) + bytesInOutput);
      }
    }
    console.log("What each part costs (minified, before gzip):");
    for (const [name, bytes] of [...costs].sort((a, b) => b[1] - a[1])) {
      if (bytes >= 512) console.log(`  ${kib(bytes).padStart(10)}  ${name}`);
    }
    console.log(
      `\nWorker bundle: ${kib(raw)} minified, ${kib(gzip)} gzip (budget ${kib(BUDGET_BYTES)} gzip)`,
    );
    const unexpected = unexpectedStandInImports(meta);
    if (unexpected.length > 0) {
      console.error(
        `size: an [alias] stand-in reached a file it was not meant for:\n  ${unexpected.join("\n  ")}`,
      );
      process.exitCode = 1;
    }
    if (gzip > BUDGET_BYTES) {
      console.error(`size: ${kib(gzip)} gzip is over the ${kib(BUDGET_BYTES)} budget`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
