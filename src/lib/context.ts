import type { Db } from "../db/client";
import type { RequestDatabase } from "../db/session";
import type { RateLimitSettings } from "../rate-limit/rate-limit.middleware";

/** Per-request values set by middleware; handlers read them from `c.var`. */
export interface AppVariables {
  db: Db;
  /** The request's D1 session behind `db` (replica routing, bookmarks: src/db/session.ts). */
  database: RequestDatabase;
  requestId: string;
  /** The authenticated project (set by the auth middleware on `/v1`). */
  projectId: string;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now: () => number;
  rateLimits: RateLimitSettings;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
