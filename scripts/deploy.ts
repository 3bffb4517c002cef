/**
 * `npm run deploy -- --env <staging|production> [--dry-run] [-- <wrangler deploy flags>]`
 *
 * 1. refuses the top-level (local development) config, an unknown environment, and any
 *    placeholder left in that environment's wrangler.toml section, or queue-name vars
 *    (WEBHOOK_QUEUE_NAME, WEBHOOK_DLQ_NAME) that do not name that environment's queues;
 * 2. builds the static files (public/, wrangler.toml [assets]; scripts/docs-assets.ts);
 * 3. applies pending D1 migrations to that environment's remote database, and stops here if
 *    one fails (the Worker already deployed keeps running on the schema it knows);
 * 4. deploys the Worker, its code and its static files together;
 * 5. asks the deployed Worker whether it is ready (`GET /ready` on INVITE_BASE_URL's origin),
 *    and fails unless it answers 200.
 *
 * The keyring. Secrets cannot be read back from Cloudflare, so this script cannot parse the
 * deployed ENCRYPTION_KEYS. Two checks cover it: `--check-keyring` parses a keyring given on
 * stdin (or in ENCRYPTION_KEYS) with the Worker's own parser, before `wrangler secret put`; and
 * step 5, where the Worker parses its own and seals and opens a probe in every sealed column
 * (a malformed keyring answers 500 and logs `keyring_invalid`). docs/operations.md, "Secrets".
 *
 * `--dry-run` checks the config and bundles the Worker without touching Cloudflare (CI does it
 * for both environments): no migration, `wrangler deploy --dry-run`.
 *
 * The GitHub deploy workflow runs the same steps with cloudflare/wrangler-action, and uses two
 * pieces of this script: `--prepare` (step 1 and 2 only) and `--verify-secrets <output of
 * wrangler secret list>` (fails unless every secret in REQUIRED_SECRETS is set).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { checkKeyring } from "../src/lib/crypto";
import { webhookQueueConfigProblems } from "../src/webhooks/queues";
import { buildDocsAssets } from "./docs-assets";

export const DEPLOY_ENVIRONMENTS = ["staging", "production"] as const;
const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
const PLACEHOLDER_HOST = "example.com";
/** Worker secrets every environment needs (docs/operations.md, "Secrets"). */
export const REQUIRED_SECRETS = ["TOKEN_HASH_KEY", "ENCRYPTION_KEYS", "META_APP_SECRET"];
/**
 * Meta's ids (docs/onboarding.md, "Meta app setup (live mode)"). Empty, every invitation runs in test mode against the
 * built-in fake of Meta: right for local development, a mistake for a deployed environment.
 */
const META_VARS = ["META_APP_ID", "META_CONFIG_ID", "META_MESSENGER_CONFIG_ID"];

/** What is still a placeholder in `env`'s resolved config (empty: ready to deploy). */
export function placeholdersLeft(env: string): string[] {
  const config = unstable_readConfig({ config: "wrangler.toml", env });
  const left: string[] = [];
  for (const db of config.d1_databases) {
    if (!db.database_id || db.database_id === PLACEHOLDER_DATABASE_ID) {
      left.push(
        `env.${env}: d1_databases ${db.binding}.database_id (wrangler d1 create ${db.database_name})`,
      );
    }
  }
  for (const route of config.routes ?? []) {
    const pattern = typeof route === "string" ? route : route.pattern;
    if (pattern.includes(PLACEHOLDER_HOST)) left.push(`env.${env}: routes ${pattern}`);
  }
  const base = String(config.vars.INVITE_BASE_URL ?? "");
  if (base.includes(PLACEHOLDER_HOST)) left.push(`env.${env}: vars.INVITE_BASE_URL ${base}`);
  // The platform's invocation records store each request's URL, and an invite link's URL is
  // its token (docs/security.md): a deployed Worker must not have them.
  if (config.observability?.logs?.invocation_logs !== false) {
    left.push(`env.${env}: observability.logs.invocation_logs must be false (URLs carry invite tokens)`);
  }
  // The static files deploy with the code (wrangler.toml [assets], inherited by each environment).
  if (!config.assets?.directory) left.push(`env.${env}: assets.directory (the static files, public/)`);
  for (const name of META_VARS) {
    if (!String(config.vars[name] ?? ""))
      left.push(`env.${env}: vars.${name} (empty: Meta is off, test mode only)`);
  }
  return left;
}

/** The deployed Worker's origin: where its invite links point (vars.INVITE_BASE_URL). */
export function deployedOrigin(env: string): string {
  const config = unstable_readConfig({ config: "wrangler.toml", env });
  return new URL(String(config.vars.INVITE_BASE_URL)).origin;
}

/** `GET /ready` until it answers 200 (a new version takes a few seconds to reach every location). */
async function readyCheck(env: string): Promise<string | null> {
  const url = `${deployedOrigin(env)}/ready`;
  let last = "no answer";
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 5_000));
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.status === 200) return null;
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
  }
  return `${url}: ${last}`;
}

/** Parses a keyring as the Worker will, naming the problem (never the keys). */
function checkKeyringInput(): void {
  const fromEnv = process.env.ENCRYPTION_KEYS;
  const value = (fromEnv ?? readFileSync(0, "utf8")).trim();
  try {
    const { keyIds, current } = checkKeyring(value);
    console.error(`deploy: ENCRYPTION_KEYS is well-formed: keys ${keyIds.join(", ")}; ${current} encrypts`);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Why `env`'s queue handler would not tell its two queues apart (empty: it would). Otherwise
 * dead letters are delivered again as new and a failing receiver is retried forever, so even a
 * dry run refuses it.
 */
export function queueNameMismatches(env: string): string[] {
  const config = unstable_readConfig({ config: "wrangler.toml", env });
  return webhookQueueConfigProblems(env, config);
}

function wrangler(args: string[]): number {
  console.error(`deploy: wrangler ${args.join(" ")}`);
  const run = spawnSync("npm", ["exec", "--", "wrangler", ...args], { stdio: "inherit" });
  return run.status ?? 1;
}

function fail(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      env: { type: "string", short: "e" },
      "dry-run": { type: "boolean", default: false },
      prepare: { type: "boolean", default: false },
      "verify-secrets": { type: "string" },
      "check-keyring": { type: "boolean", default: false },
    },
  });
  if (values["check-keyring"]) {
    checkKeyringInput();
    return;
  }
  const env = values.env;
  if (!env) {
    fail(
      "which environment? npm run deploy -- --env staging (or production). The top-level config is local development and is never deployed (docs/operations.md).",
    );
  }
  if (!(DEPLOY_ENVIRONMENTS as readonly string[]).includes(env)) {
    fail(`unknown environment "${env}": one of ${DEPLOY_ENVIRONMENTS.join(", ")}`);
  }
  const listed = values["verify-secrets"];
  if (listed !== undefined) {
    // `wrangler secret list` prints a JSON array of {"name", "type"}; only names are read.
    const names = new Set([...listed.matchAll(/"name":\s*"([^"]+)"/g)].map((m) => m[1]));
    const missing = REQUIRED_SECRETS.filter((name) => !names.has(name));
    if (missing.length > 0) {
      fail(`${env} lacks secrets: ${missing.map((n) => `wrangler secret put ${n} --env ${env}`).join("; ")}`);
    }
    console.error(`deploy: ${env} has ${REQUIRED_SECRETS.join(", ")}`);
    return;
  }
  // A deployed Worker that says it is `local` would simulate Meta for live keys (src/meta/config.ts).
  const declared = String(unstable_readConfig({ config: "wrangler.toml", env }).vars.ENVIRONMENT ?? "");
  if (declared !== env) fail(`env.${env}: vars.ENVIRONMENT must be "${env}", not "${declared}"`);
  const queueProblems = queueNameMismatches(env);
  if (queueProblems.length > 0) fail(`the webhook queue names disagree:\n  ${queueProblems.join("\n  ")}`);
  const dryRun = values["dry-run"] ?? false;
  const left = placeholdersLeft(env);
  if (left.length > 0 && !dryRun) {
    fail(`fill these placeholders in wrangler.toml first (docs/operations.md):\n  ${left.join("\n  ")}`);
  }

  buildDocsAssets();
  if (values.prepare) return;
  if (dryRun) {
    console.error(`deploy: dry run for ${env}: no migration; wrangler bundles and checks the config`);
    process.exit(wrangler(["deploy", "--env", env, "--dry-run", "--outdir", `dist/${env}`, ...positionals]));
  }
  if (wrangler(["d1", "migrations", "apply", "DB", "--remote", "--env", env]) !== 0) {
    fail(`migrations failed on ${env}'s database: not deploying. The running Worker is unchanged.`);
  }
  const status = wrangler(["deploy", "--env", env, ...positionals]);
  if (status !== 0) fail(`wrangler deploy failed for ${env} (the migrations above are applied)`);
  const notReady = await readyCheck(env);
  if (notReady) {
    fail(
      `deployed, but ${env} is not ready (${notReady}). An unusable ENCRYPTION_KEYS is logged as keyring_invalid (wrangler tail --env ${env}): put a good one (npm run deploy -- --check-keyring first), or roll back (wrangler rollback --env ${env}).`,
    );
  }
  console.error(`deploy: ${env} is ready`);
}

await main();
