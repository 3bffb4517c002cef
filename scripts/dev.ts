/**
 * `npm run dev [-- <wrangler dev flags>]`: a working local service in one command.
 * 1. writes .dev.vars with fresh random secrets if there is none;
 * 2. applies the migrations to the local D1;
 * 3. makes sure a development project and API key exist, and prints the key and a curl;
 * 4. generates the static files (public/: the Scalar bundle for /docs, the invite pages' script
 *    and stylesheet, their headers; scripts/docs-assets.ts);
 * 5. runs `wrangler dev` with the flags given after `--` (wrangler.toml: the Worker, and
 *    public/ as its [assets]).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { sha256Hex } from "../src/lib/crypto";
import { newApiKey, newProject } from "../src/projects/provisioning";
import { applyMigrations, executeSql, sqlString } from "./d1";
import { buildDocsAssets } from "./docs-assets";

const DEV_VARS = ".dev.vars";
// The plaintext dev key is kept beside the local database (never committed), since the
// database stores only its hash.
const DEV_KEY_FILE = ".wrangler/dev-api-key";
const local = { remote: false };

// Locally, webhooks may point at a receiver on this machine (http://localhost:…).
const LOCAL_WEBHOOKS = 'WEBHOOK_ALLOW_LOCAL_URLS="true"\n';

function ensureDevVars(): void {
  if (existsSync(DEV_VARS)) {
    const vars = readFileSync(DEV_VARS, "utf8");
    if (!vars.includes("WEBHOOK_ALLOW_LOCAL_URLS")) {
      writeFileSync(DEV_VARS, `${vars}${vars.endsWith("\n") ? "" : "\n"}${LOCAL_WEBHOOKS}`);
    }
    return;
  }
  const key = () => randomBytes(32).toString("base64");
  writeFileSync(
    DEV_VARS,
    `# Local secrets written by npm run dev (not committed).\nTOKEN_HASH_KEY="${key()}"\nENCRYPTION_KEYS="dev1:${key()}"\n${LOCAL_WEBHOOKS}`,
  );
  console.error(`dev: wrote ${DEV_VARS} with fresh local secrets`);
}

async function ensureDevKey(): Promise<string> {
  if (existsSync(DEV_KEY_FILE)) {
    const saved = readFileSync(DEV_KEY_FILE, "utf8").trim();
    const [found] = executeSql(
      local,
      `SELECT id FROM api_keys WHERE key_hash = ${sqlString(await sha256Hex(saved))} AND revoked_at IS NULL`,
    );
    if (found?.results.length) return saved;
  }
  const now = Date.now();
  const project = newProject("Development", now);
  const key = await newApiKey(project.id, now, "development");
  executeSql(
    local,
    `INSERT INTO projects (id, name, created_at) VALUES (${sqlString(project.id)}, 'Development', ${now});
     INSERT INTO api_keys (id, project_id, key_hash, key_prefix, name, created_at)
     VALUES (${sqlString(key.row.id)}, ${sqlString(project.id)}, ${sqlString(key.row.keyHash)},
             ${sqlString(key.row.keyPrefix)}, 'development', ${now});`,
  );
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(DEV_KEY_FILE, `${key.apiKey}\n`, { mode: 0o600 });
  return key.apiKey;
}

function portFrom(args: string[]): string {
  const index = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
  if (index === -1) return "8787";
  const arg = args[index] ?? "";
  return arg.includes("=") ? (arg.split("=")[1] ?? "8787") : (args[index + 1] ?? "8787");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  ensureDevVars();
  applyMigrations(local);
  const apiKey = await ensureDevKey();
  const origin = `http://localhost:${portFrom(args)}`;
  console.log(`
Development API key (local D1 only):

  ${apiKey}

Try it once the server below is ready:

  curl -s -X POST ${origin}/v1/invitations \\
    -H "Authorization: Bearer ${apiKey}" \\
    -H "Content-Type: application/json" \\
    -d '{"clientName": "Acme Corp"}'

Docs: ${origin}/docs   OpenAPI: ${origin}/openapi.json
`);
  buildDocsAssets();
  const child = spawn("npm", ["exec", "--", "wrangler", "dev", ...args], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((error: unknown) => {
  console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
