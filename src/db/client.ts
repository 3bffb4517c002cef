import { drizzle } from "drizzle-orm/d1";
import { retryingReads } from "./retry";

/**
 * A drizzle client over D1: the database itself (cron, scripts, tests) or, per request, a
 * read-replication session (src/db/session.ts). Every query of the app goes through one, so
 * choosing a database (sharding, docs/scaling.md) or a replica changes this seam only.
 *
 * No relational schema is passed: the app uses only the query builder, and drizzle() would
 * otherwise derive the relational config from the schema on every call, that is on every
 * request, since each request has its own session. Clients are still kept per binding (a
 * WeakMap), so the cron and tests reuse theirs.
 */
const clients = new WeakMap<D1Database | D1DatabaseSession, ReturnType<typeof build>>();

function build(d1: D1Database | D1DatabaseSession) {
  // A session has the same prepare/batch surface drizzle uses. Transient read failures are
  // retried once (src/db/retry.ts).
  return drizzle(retryingReads(d1 as D1Database));
}

export function createDb(d1: D1Database | D1DatabaseSession): Db {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}

export type Db = ReturnType<typeof build>;

/**
 * The D1 database a request works on. One today; when projects are sharded across databases
 * (docs/scaling.md, "The plan"), this picks the project's database from the shard hint in its
 * API key, with no I/O, and nothing past this seam changes.
 */
export function databaseFor(env: Env, _request: Request): D1Database {
  return env.DB;
}
