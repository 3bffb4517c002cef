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
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
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
    if (gzip > BUDGET_BYTES) {
      console.error(`size: ${kib(gzip)} gzip is over the ${kib(BUDGET_BYTES)} budget`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
