import { drizzle } from "drizzle-orm/d1";
import { retryingReads } from "./retry";
import * as schema from "./schema";

// drizzle() derives the relational config from the schema each time it is called; per binding
// it is the same, so the client is built once per binding and isolate. The app still takes it
// once per request (c.var.db), which is where a per-request session would be made.
const clients = new WeakMap<D1Database, ReturnType<typeof build>>();

function build(d1: D1Database) {
  return drizzle(retryingReads(d1), { schema });
}

export function createDb(d1: D1Database): Db {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}

export type Db = ReturnType<typeof build>;
