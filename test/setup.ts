import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before each test file; applying is idempotent (applied migrations are recorded).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
