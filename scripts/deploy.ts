/**
 * `npm run deploy -- --env <staging|production> [--dry-run] [-- <wrangler deploy flags>]`
 *
 * 1. refuses the top-level (local development) config, an unknown environment, and any
 *    placeholder left in that environment's wrangler.toml section, or a STATIC binding that does
 *    not name that environment's static Worker (wrangler.static.toml), or queue-name vars
 *    (WEBHOOK_QUEUE_NAME, WEBHOOK_DLQ_NAME) that do not name that environment's queues;
 * 2. builds the static files (public/, scripts/docs-assets.ts);
 * 3. applies pending D1 migrations to that environment's remote database, and stops here if
 *    one fails (the Worker already deployed keeps running on the schema it knows);
 * 4. deploys the static Worker (wrangler.static.toml), then the API Worker, whose STATIC
 *    binding needs the other to exist.
 *
 * `--dry-run` checks both configs and bundles the Worker without touching Cloudflare (CI does it
 * for both environments): no migration, `wrangler deploy --dry-run` of each.
 *
 * The GitHub deploy workflow runs the same steps with cloudflare/wrangler-action, and uses two
 * pieces of this script: `--prepare` (step 1 and 2 only) and `--verify-secrets <output of
 * wrangler secret list>` (fails unless every secret in REQUIRED_SECRETS is set).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { webhookQueueConfigProblems } from "../src/webhooks/queues";
import { buildDocsAssets } from "./docs-assets";

export const DEPLOY_ENVIRONMENTS = ["staging", "production"] as const;
/** The static Worker's config: the docs' Scalar bundle, the invite pages' script and stylesheet. */
const STATIC_CONFIG = "wrangler.static.toml";
const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
const PLACEHOLDER_HOST = "example.com";
/** Worker secrets every environment needs (docs/operations.md, "Secrets"). */
export const REQUIRED_SECRETS = ["TOKEN_HASH_KEY", "ENCRYPTION_KEYS", "META_APP_SECRET"];
/**
 * Meta's ids (README, "Meta app setup"). Empty, every invitation runs in test mode against the
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
  for (const name of META_VARS) {
    if (!String(config.vars[name] ?? ""))
      left.push(`env.${env}: vars.${name} (empty: Meta is off, test mode only)`);
  }
  return left;
}

/**
 * Why `env`'s STATIC binding would not reach its static Worker, or null when it does. The API
 * Worker forwards its static paths to that binding (src/static/static.route.ts); a wrong name
 * deploys cleanly and breaks /docs and every invite page, so even a dry run refuses it.
 */
export function staticBindingMismatch(env: string): string | null {
  const config = unstable_readConfig({ config: "wrangler.toml", env });
  const staticName = unstable_readConfig({ config: STATIC_CONFIG, env }).name;
  const binding = config.services?.find((service: { binding: string }) => service.binding === "STATIC");
  if (binding?.service === staticName) return null;
  return `env.${env}: services STATIC must name ${staticName} (${STATIC_CONFIG}), not ${binding?.service ?? "nothing"}`;
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

function main(): void {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      env: { type: "string", short: "e" },
      "dry-run": { type: "boolean", default: false },
      prepare: { type: "boolean", default: false },
      "verify-secrets": { type: "string" },
    },
  });
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
  const mismatch = staticBindingMismatch(env);
  if (mismatch) fail(mismatch);
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
    const checked = wrangler(["deploy", "-c", STATIC_CONFIG, "--env", env, "--dry-run"]);
    if (checked !== 0) process.exit(checked);
    process.exit(wrangler(["deploy", "--env", env, "--dry-run", "--outdir", `dist/${env}`, ...positionals]));
  }
  if (wrangler(["d1", "migrations", "apply", "DB", "--remote", "--env", env]) !== 0) {
    fail(`migrations failed on ${env}'s database: not deploying. The running Worker is unchanged.`);
  }
  if (wrangler(["deploy", "-c", STATIC_CONFIG, "--env", env]) !== 0) {
    fail(`the static Worker's deploy failed for ${env} (the migrations above are applied)`);
  }
  const status = wrangler(["deploy", "--env", env, ...positionals]);
  if (status !== 0)
    fail(`wrangler deploy failed for ${env} (the migrations and the static Worker above are)`);
}

main();
