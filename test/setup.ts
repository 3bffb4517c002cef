import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before each test file; applying is idempotent (applied migrations are recorded).
// REPLICA_DB is test/replication's stale replica of DB (test/support/replica.ts).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
