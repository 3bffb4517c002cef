/**
 * `npm run size`: the Worker bundle as deployed (`wrangler deploy --dry-run --minify`),
 * minified and gzipped, against its budget; and what each dependency costs in it, from the
 * bundler's metafile; then the Worker's startup CPU (`wrangler check startup`, a local profile,
 * no Cloudflare account) beside a framework-free Worker's. Fails past either budget (part of
 * `npm test`, so of CI).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { buildDocsAssets } from "./docs-assets";

/**
 * The bundle budget: the whole Worker, gzip (docs/performance.md). 128 KiB held the service up
 * to sender health, the journey, branding and the number step, which add about 27 KiB between
 * them (measured per feature in docs/performance.md); startup CPU, the budget below, is what
 * a client waits for.
 */
const BUDGET_BYTES = 160 * 1024;

/**
 * The startup CPU budget, ms, on the least of STARTUP_RUNS `wrangler check startup` profiles
 * (module evaluation, which builds the app: src/index.ts). Load on the machine only adds to a
 * run, so the least is the steadiest measure of the Worker's own cost: 44 to 49 ms on the 2-core
 * development machine, 60 ms while two test suites ran beside it (single runs up to 222 ms).
 * The budget is about twice the quiet figure (docs/performance.md).
 */
const STARTUP_BUDGET_MS = 100;
const STARTUP_RUNS = 5;
/** A framework-free Worker on the same D1 (bench/reference), profiled beside it for scale. */
const REFERENCE_DIR = path.join("bench", "reference");

interface Metafile {
  inputs: Record<string, { imports?: { path: string; original?: string }[] }>;
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** Who may import build/zod.js, the one [alias] (wrangler.toml): "zod" and nothing else. */
function unexpectedAliasImports(meta: Metafile): string[] {
  const found: string[] = [];
  for (const [importer, { imports = [] }] of Object.entries(meta.inputs)) {
    for (const { path: target, original } of imports) {
      if (target.startsWith("build/") && original !== "zod" && importer !== "build/zod.js")
        found.push(`${importer} imports "${original ?? target}", aliased to ${target}`);
    }
  }
  return found;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * CPU time of a Worker's startup, ms: `wrangler check startup` (a local workerd, no Cloudflare
 * account) profiles the module's evaluation; every sample but the idle ones counts, garbage
 * collection included.
 */
function startupCpuMs(cwd: string, dir: string): number {
  const outfile = path.join(dir, `startup-${Math.random().toString(36).slice(2)}.cpuprofile`);
  const run = spawnSync(
    process.execPath,
    [
      path.resolve("node_modules", "wrangler", "bin", "wrangler.js"),
      "check",
      "startup",
      "--outfile",
      outfile,
    ],
    { cwd, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (run.status !== 0)
    throw new Error(`wrangler check startup failed in ${cwd}:\n${run.stderr}\n${run.stdout}`);
  const profile = JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let micros = 0;
  profile.samples.forEach((node, i) => {
    if (!idle.has(node)) micros += profile.timeDeltas[i] ?? 0;
  });
  return micros / 1000;
}

/** `node_modules/zod/v4/core/x.js` → `zod`; our own files by folder. */
function owner(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  if (input.startsWith("src/")) return `src/${input.split("/")[1]?.replace(/\.ts$/, "") ?? ""}`;
  return input.startsWith("build/") ? "build/zod.js (wrangler.toml [alias])" : "wrangler (entry shims)";
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
    const unexpected = unexpectedAliasImports(meta);
    if (unexpected.length > 0) {
      console.error(
        `size: the [alias] reached an import it was not meant for:\n  ${unexpected.join("\n  ")}`,
      );
      process.exitCode = 1;
    }
    if (gzip > BUDGET_BYTES) {
      console.error(`size: ${kib(gzip)} gzip is over the ${kib(BUDGET_BYTES)} budget`);
      process.exitCode = 1;
    }

    // Alternated, so a burst of load on the machine touches both.
    const service: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < STARTUP_RUNS; i++) {
      service.push(startupCpuMs(process.cwd(), out));
      if (i < 3) reference.push(startupCpuMs(path.resolve(REFERENCE_DIR), out));
    }
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `Worker startup CPU: ${ms(Math.min(...service))} (least of ${STARTUP_RUNS}: ${service.map(ms).join(", ")}; budget ${ms(STARTUP_BUDGET_MS)}); framework-free Worker (bench/reference) startup CPU: ${ms(Math.min(...reference))} (least of ${reference.length})`,
    );
    if (Math.min(...service) > STARTUP_BUDGET_MS) {
      console.error(
        `size: startup CPU ${ms(Math.min(...service))} is over the ${ms(STARTUP_BUDGET_MS)} budget`,
      );
      process.exitCode = 1;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
