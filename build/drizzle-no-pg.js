// Bundled in place of two PostgreSQL modules that drizzle-orm's dialect-neutral code imports
// (wrangler.toml [alias], and vitest.config.ts): sql/sql.js imports isPgEnum from
// pg-core/columns/enum.js and relations.js imports PrimaryKeyBuilder from pg-core/primary-keys.js,
// and with them ~6 KiB of pg-core column and table classes this SQLite Worker never builds.
// Both stand-ins are drizzle's own definitions, minus what they drag in: same symbol, same
// entity kind, so `isPgEnum(x)` and `is(x, PrimaryKeyBuilder)` answer exactly as before (false
// for everything a D1 schema holds).
import { entityKind } from "../node_modules/drizzle-orm/entity.js";

const isPgEnumSym = Symbol.for("drizzle:isPgEnum");

export function isPgEnum(obj) {
  return !!obj && typeof obj === "function" && isPgEnumSym in obj && obj[isPgEnumSym] === true;
}

// biome-ignore lint/complexity/noStaticOnlyClass: drizzle's is() needs a class carrying its entity kind
export class PrimaryKeyBuilder {
  static [entityKind] = "PgPrimaryKeyBuilder";
}
