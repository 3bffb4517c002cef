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

/**
 * A client for one request's own D1 surface (src/db/session.ts), not remembered: the surface is
 * new on every request, so caching it would only cost a WeakMap entry per request.
 */
export function requestDb(d1: D1DatabaseSession): Db {
  return build(d1);
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
 * A client that runs nothing: what queries are prepared on once per isolate (`preparedOnce`).
 * Its statements only carry their SQL; running one is a bug, and says so.
 */
const templateClient = {
  prepare: (sql: string) => ({
    bind: () => {
      throw new Error(`A prepared query's template ran (${sql.slice(0, 40)}…); run it through preparedOnce`);
    },
  }),
  batch: () => Promise.reject(new Error("The template client runs nothing")),
};
let templateDb: Db | undefined;

/** The query methods drizzle's D1 prepared queries have (`run`, `all`, `get`, `values`). */
interface D1Prepared {
  getQuery(): { sql: string };
}

/**
 * A prepared query built once per isolate and run on each request's own client. drizzle builds
 * a query's SQL on every call (about 0.1 ms of CPU for a plain select, measured under Node),
 * and each request has its own client (its D1 session, src/db/session.ts), so a query
 * prepared per client would be rebuilt on every request. The query is prepared once on a
 * client that runs nothing, and each call gets a view of it whose statement is the same SQL
 * prepared on `db`'s client: retries, session routing and the write tracking of
 * src/db/session.ts all apply. A D1 prepared query runs its `stmt` field
 * (drizzle-orm/d1/session.js, pinned in package.json); test/request-path/prepared-once.test.ts
 * fails if that stops being so.
 */
export function preparedOnce<P extends D1Prepared>(build: (db: Db) => P): (db: Db) => P {
  let template: P | undefined;
  return (db) => {
    templateDb ??= drizzle(templateClient as unknown as D1Database);
    template ??= build(templateDb);
    return Object.create(template, {
      stmt: { value: db.$client.prepare(template.getQuery().sql) },
    }) as P;
  };
}

/**
 * The D1 database a request works on. One today; when projects are sharded across databases
 * (docs/scaling.md, "The plan"), this picks the project's database from the shard hint in its
 * API key, with no I/O, and nothing past this seam changes.
 */
export function databaseFor(env: Env, _request: Request): D1Database {
  return env.DB;
}
