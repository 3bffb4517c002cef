// Bundled in place of drizzle-orm's relational query API (`db.query.<table>`: relations.js and
// sqlite-core/query-builders/query.js, ~6 KiB minified) through wrangler.toml [alias] and
// vitest.config.ts. That API exists only on a client built with a relational schema
// (`drizzle(d1, { schema })`), and src/db/client.ts never passes one: the query builder does
// everything here, so `db.query` is empty and none of this ever runs. The names drizzle's D1
// driver, SQLite dialect and database import from those modules are kept, with the same entity
// kinds, so `is(x, One)` and `is(x, Many)` still answer as drizzle's own; anything that would
// actually build a relational query throws instead.
import { entityKind } from "../node_modules/drizzle-orm/entity.js";

function unsupported() {
  throw new Error(
    "drizzle's relational queries are not bundled in this Worker (build/drizzle-no-relational.js)",
  );
}

export const createTableRelationsHelpers = unsupported;
export const extractTablesRelationalConfig = unsupported;
export const getOperators = unsupported;
export const getOrderByOperators = unsupported;
export const normalizeRelation = unsupported;

// biome-ignore lint/complexity/noStaticOnlyClass: drizzle's is() needs a class carrying its entity kind
export class One {
  static [entityKind] = "One";
}

// biome-ignore lint/complexity/noStaticOnlyClass: drizzle's is() needs a class carrying its entity kind
export class Many {
  static [entityKind] = "Many";
}

export class RelationalQueryBuilder {
  static [entityKind] = "SQLiteAsyncRelationalQueryBuilder";
  constructor() {
    unsupported();
  }
}
