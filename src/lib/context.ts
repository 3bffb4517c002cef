import type { Db } from "../db/client";
import type { RateLimitSettings } from "../rate-limit/rate-limit.middleware";

/** Per-request values set by middleware; handlers read them from `c.var`. */
export interface AppVariables {
  db: Db;
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
