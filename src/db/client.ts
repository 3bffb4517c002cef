import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/**
 * A drizzle client over D1: the database itself (cron, scripts, tests) or, per request, a
 * read-replication session (src/db/session.ts). Every query of the app goes through one, so
 * choosing a database (sharding, docs/scaling.md) or a replica changes this seam only.
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  // A session has the same prepare/batch surface drizzle uses.
  return drizzle(d1 as D1Database, { schema });
}

export type Db = ReturnType<typeof createDb>;

/**
 * The D1 database a request works on. One today; when projects are sharded across databases
 * (docs/scaling.md, "The plan"), this picks the project's database from the shard hint in its
 * API key, with no I/O, and nothing past this seam changes.
 */
export function databaseFor(env: Env, _request: Request): D1Database {
  return env.DB;
}
