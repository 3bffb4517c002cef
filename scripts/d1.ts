import { spawnSync } from "node:child_process";

// Operator scripts talk to D1 through wrangler itself (`wrangler d1 execute`), so they reach
// exactly the database the Worker uses: the local one under .wrangler/ or, with --remote, the
// deployed one.

export interface D1Target {
  remote: boolean;
  /** Remote only: the wrangler.toml environment whose database to use (staging, production). */
  env?: string;
  /** Local only: the state directory (`wrangler --persist-to`) instead of .wrangler/state. */
  persistTo?: string;
  /** Kill wrangler after this long (default: no limit); the call then fails. */
  timeoutMs?: number;
}

function location(target: D1Target): string[] {
  if (target.remote) return ["--remote", ...(target.env ? ["--env", target.env] : [])];
  return target.persistTo ? ["--local", "--persist-to", target.persistTo] : ["--local"];
}

const WRANGLER = ["exec", "--", "wrangler"];

/** SQL string literal: values are quoted here because `d1 execute` takes no parameters. */
export function sqlString(value: string | null): string {
  return value === null ? "NULL" : `'${value.replaceAll("'", "''")}'`;
}

export function sqlValue(value: string | number | null): string {
  return typeof value === "number" ? String(value) : sqlString(value);
}

export interface D1Result {
  results: Record<string, unknown>[];
  meta?: { changes?: number };
}

export function runWrangler(args: string[], options: { inherit?: boolean; timeoutMs?: number } = {}) {
  return spawnSync("npm", [...WRANGLER, ...args], {
    encoding: "utf8",
    stdio: options.inherit ? "inherit" : ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    timeout: options.timeoutMs,
  });
}

function failure(what: string, run: ReturnType<typeof runWrangler>): string {
  const cause = run.error ? ` ${run.error.message}` : "";
  return `wrangler ${what} failed (${run.status ?? run.signal}${cause}):\n${run.stderr}\n${run.stdout}`;
}

/** Runs `sql` (one or more statements) and returns one result per statement. */
export function executeSql(target: D1Target, sql: string): D1Result[] {
  const run = runWrangler(["d1", "execute", "DB", ...location(target), "--json", "--command", sql], {
    timeoutMs: target.timeoutMs,
  });
  if (run.status !== 0) {
    const hint = /no such table/.test(run.stdout + run.stderr)
      ? `\nThe database has no tables yet: run npm run db:migrate:${target.remote ? "remote" : "local"} first.`
      : "";
    throw new Error(`${failure("d1 execute", run)}${hint}`);
  }
  const start = run.stdout.indexOf("[");
  return JSON.parse(run.stdout.slice(start)) as D1Result[];
}

export function applyMigrations(target: D1Target): void {
  const run = runWrangler(["d1", "migrations", "apply", "DB", ...location(target)], {
    timeoutMs: target.timeoutMs,
  });
  if (run.status !== 0) throw new Error(failure("d1 migrations apply", run));
}
