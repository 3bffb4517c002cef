import { spawnSync } from "node:child_process";

// Operator scripts talk to D1 through wrangler itself (`wrangler d1 execute`), so they reach
// exactly the database the Worker uses: the local one under .wrangler/ or, with --remote, the
// deployed one.

export interface D1Target {
  remote: boolean;
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

export function runWrangler(args: string[], options: { inherit?: boolean } = {}) {
  return spawnSync("npm", [...WRANGLER, ...args], {
    encoding: "utf8",
    stdio: options.inherit ? "inherit" : ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
}

/** Runs `sql` (one or more statements) and returns one result per statement. */
export function executeSql(target: D1Target, sql: string): D1Result[] {
  const run = runWrangler([
    "d1",
    "execute",
    "DB",
    target.remote ? "--remote" : "--local",
    "--json",
    "--command",
    sql,
  ]);
  if (run.status !== 0) {
    const hint = /no such table/.test(run.stdout + run.stderr)
      ? `\nThe database has no tables yet: run npm run db:migrate:${target.remote ? "remote" : "local"} first.`
      : "";
    throw new Error(`wrangler d1 execute failed (${run.status}):\n${run.stderr}\n${run.stdout}${hint}`);
  }
  const start = run.stdout.indexOf("[");
  return JSON.parse(run.stdout.slice(start)) as D1Result[];
}

export function applyMigrations(target: D1Target): void {
  const run = runWrangler(["d1", "migrations", "apply", "DB", target.remote ? "--remote" : "--local"]);
  if (run.status !== 0) {
    throw new Error(`wrangler d1 migrations apply failed (${run.status}):\n${run.stderr}\n${run.stdout}`);
  }
}
