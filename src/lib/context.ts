import type { Db } from "../db/client";
import type { KeyMode } from "../db/schema";
import type { RequestDatabase } from "../db/session";
import type { MetaOptions } from "../onboarding/meta-client";
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
  /** How the flow endpoints reach Meta (tests swap the fake or the live fetch). */
  meta: MetaOptions;
  /** The mode of the authenticated API key (set by the auth middleware on `/v1`). */
  keyMode: KeyMode;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
