/**
 * Operator CLI: `npm run --silent admin -- <command> [options]`. Each command prints one JSON
 * line on stdout (errors go to stderr, exit code 1). Local D1 by default; `--remote --env
 * <staging|production>` for that environment's deployed database.
 *
 *   create-project   --name <name> [--test]          a project and its first API key
 *   create-key       --project <projectId> [--name] [--test]  another API key for a project
 *
 * `--test` mints a test key (`zv_test_…`): its invitations run in test mode, against the
 * built-in fake of Meta, even where Meta is configured.
 *   revoke-key       --key <keyId>                  revoke an API key (401 everywhere within 30 s: isolates cache active keys)
 *   list-keys        --project <projectId>          key ids, prefixes and state (never the keys)
 *   add-phone-number --project <projectId> --number <E.164>
 *   reseal           [--batch <rows>]               re-seal every sealed column under the first key of
 *                    ENCRYPTION_KEYS (from the environment, else .dev.vars locally); resumable
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type ResealDatabase, resealAll } from "../src/db/reseal";
import { E164 } from "../src/invitations/invitations.schemas";
import { checkKeyring } from "../src/lib/crypto";
import { newApiKey, newPhoneNumber, newProject } from "../src/projects/provisioning";
import { type D1Target, executeSql, sqlString, sqlValue } from "./d1";

function insertSql(table: string, row: Record<string, string | number | null | undefined>): string {
  const entries = Object.entries(row).filter(([, v]) => v !== undefined) as [
    string,
    string | number | null,
  ][];
  const columns = entries.map(([k]) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`));
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${entries.map(([, v]) => sqlValue(v)).join(", ")})`;
}

function projectExists(target: D1Target, projectId: string): boolean {
  const [result] = executeSql(target, `SELECT id FROM projects WHERE id = ${sqlString(projectId)}`);
  return (result?.results.length ?? 0) > 0;
}

class UsageError extends Error {}

/** `?` placeholders filled as SQL literals: `d1 execute` takes no parameters (reseal's SQL has no other `?`). */
function inline(sql: string, params: (string | number)[]): string {
  let i = 0;
  return sql.replace(/\?/g, () => sqlValue(params[i++] ?? null));
}

/** Linux caps one argument at 128 KiB; `d1 execute --command` passes the SQL as one. */
const MAX_COMMAND_CHARS = 100_000;

/** Reseal's database access through wrangler: one `d1 execute` per batch (or per 100 KB of it). */
function wranglerResealDatabase(target: D1Target): ResealDatabase {
  return {
    select: async (sql, params) => executeSql(target, inline(sql, params))[0]?.results ?? [],
    update: async (statements) => {
      const changed: number[] = [];
      let chunk = "";
      const flush = () => {
        if (chunk) for (const result of executeSql(target, chunk)) changed.push(result.results.length);
        chunk = "";
      };
      for (const statement of statements) {
        const sql = `${inline(statement.sql, statement.params)};`;
        if (chunk && chunk.length + sql.length > MAX_COMMAND_CHARS) flush();
        chunk += ` ${sql}`;
      }
      flush();
      return changed;
    },
  };
}

/**
 * The keyring to re-seal with. Secrets cannot be read back from Cloudflare, so the operator
 * passes it (ENCRYPTION_KEYS in the environment); locally it defaults to .dev.vars'.
 */
function encryptionKeys(remote: boolean): string {
  const fromEnv = process.env.ENCRYPTION_KEYS;
  if (fromEnv) return fromEnv;
  if (!remote && existsSync(".dev.vars")) {
    const match = /^ENCRYPTION_KEYS\s*=\s*"?([^"\n]*)"?\s*$/m.exec(readFileSync(".dev.vars", "utf8"));
    if (match?.[1]) return match[1];
  }
  throw new UsageError(
    "set ENCRYPTION_KEYS to the keyring the Worker has (new key first, old ones after), e.g. ENCRYPTION_KEYS='k2:…,k1:…' npm run admin -- reseal",
  );
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing ${flag}`);
  return value;
}

export async function runAdmin(argv: string[]): Promise<Record<string, unknown>> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      project: { type: "string" },
      key: { type: "string" },
      number: { type: "string" },
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      test: { type: "boolean", default: false },
      batch: { type: "string" },
    },
  });
  const remote = values.remote ?? false;
  // The top-level wrangler.toml database is local development only (docs/operations.md).
  if (remote && !values.env) throw new UsageError("--remote needs --env staging or --env production");
  if (!remote && values.env) throw new UsageError("--env applies to --remote only");
  const target: D1Target = { remote, env: values.env };
  const now = Date.now();
  const command = positionals[0];
  const mode = values.test ? "test" : "live";

  switch (command) {
    case "create-project": {
      const name = need(values.name, "--name <name>").trim();
      if (name.length === 0 || name.length > 200) throw new UsageError("--name must be 1 to 200 characters");
      const project = newProject(name, now);
      const key = await newApiKey(project.id, now, "default", mode);
      executeSql(target, `${insertSql("projects", project)}; ${insertSql("api_keys", key.row)};`);
      return { projectId: project.id, apiKey: key.apiKey, keyId: key.row.id, mode };
    }
    case "create-key": {
      const projectId = need(values.project, "--project <projectId>");
      if (!projectExists(target, projectId)) throw new UsageError(`no project ${projectId}`);
      const key = await newApiKey(projectId, now, values.name ?? null, mode);
      executeSql(target, insertSql("api_keys", key.row));
      return { projectId, apiKey: key.apiKey, keyId: key.row.id, mode };
    }
    case "revoke-key": {
      const keyId = need(values.key, "--key <keyId>");
      const [result] = executeSql(
        target,
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ${now}) WHERE id = ${sqlString(keyId)} RETURNING id, project_id, revoked_at`,
      );
      const row = result?.results[0];
      if (!row) throw new UsageError(`no API key ${keyId}`);
      return { keyId, projectId: row.project_id, revokedAt: new Date(Number(row.revoked_at)).toISOString() };
    }
    case "list-keys": {
      const projectId = need(values.project, "--project <projectId>");
      const [result] = executeSql(
        target,
        `SELECT id, key_prefix, name, mode, created_at, revoked_at FROM api_keys WHERE project_id = ${sqlString(projectId)} ORDER BY created_at`,
      );
      return {
        projectId,
        keys: (result?.results ?? []).map((k) => ({
          keyId: k.id,
          prefix: k.key_prefix,
          name: k.name,
          mode: k.mode,
          createdAt: new Date(Number(k.created_at)).toISOString(),
          revokedAt: k.revoked_at === null ? null : new Date(Number(k.revoked_at)).toISOString(),
        })),
      };
    }
    case "add-phone-number": {
      const projectId = need(values.project, "--project <projectId>");
      const number = need(values.number, "--number <E.164>");
      if (!E164.test(number)) throw new UsageError("--number must be E.164, e.g. +14155551234");
      if (!projectExists(target, projectId)) throw new UsageError(`no project ${projectId}`);
      const row = newPhoneNumber(projectId, number, now);
      executeSql(target, insertSql("phone_numbers", row));
      return { projectId, phoneNumberId: row.id, phoneNumber: number };
    }
    case "reseal": {
      const keys = encryptionKeys(remote);
      // Refuses a malformed keyring (KeyringError names the problem, not the keys).
      const { current } = checkKeyring(keys);
      const batch = Number(values.batch ?? 50);
      if (!Number.isSafeInteger(batch) || batch < 1 || batch > 500)
        throw new UsageError("--batch must be 1 to 500");
      const columns = await resealAll(wranglerResealDatabase(target), keys, batch);
      const failed = Object.values(columns).reduce((sum, c) => sum + c.failed, 0);
      return { encryptionKeyId: current, columns, done: failed === 0 };
    }
    default:
      throw new UsageError(
        `unknown command ${command ?? "(none)"}; commands: create-project, create-key, revoke-key, list-keys, add-phone-number, reseal`,
      );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdmin(process.argv.slice(2)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`admin: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
