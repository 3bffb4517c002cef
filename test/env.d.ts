import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Test-only: the stale read replica of DB in test/replication (vitest.config.ts). */
      REPLICA_DB: D1Database;
      /** Test-only: an empty D1 that test/migrations migrates step by step (vitest.config.ts). */
      MIGRATION_DB: D1Database;
    }
  }
}
