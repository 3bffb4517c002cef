import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { buildDocsAssets } from "./scripts/docs-assets";

// Tests run inside workerd (the Workers runtime) against a real local D1, migrated from
// drizzle/ exactly as `wrangler d1 migrations apply` would. The browser suite (test/browser:
// Chromium against the Worker served locally by wrangler) has its own: vitest.browser.config.ts.
/** wrangler.toml [alias]: zod's namespace without its locales (build/zod.js). */
const BUNDLE_ALIASES = [{ find: /^zod$/, replacement: path.join(import.meta.dirname, "build", "zod.js") }];

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory (public/) must exist before the pool reads the config.
  // The pool's exports.default.fetch calls the Worker itself, not the asset layer in front of
  // it: the browser suite's real `wrangler dev` serves the files (test/browser/static-assets).
  buildDocsAssets();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "drizzle"));
  // Each environment's webhook queue names and vars as wrangler resolves wrangler.toml, the way
  // scripts/deploy.ts reads them (test/webhooks/queue-names.test.ts).
  const queueConfigs = Object.fromEntries(
    [undefined, "staging", "production"].map((env) => {
      const config = unstable_readConfig({ config: path.join(import.meta.dirname, "wrangler.toml"), env });
      const { WEBHOOK_QUEUE_NAME, WEBHOOK_DLQ_NAME } = config.vars;
      return [env ?? "top-level", { vars: { WEBHOOK_QUEUE_NAME, WEBHOOK_DLQ_NAME }, queues: config.queues }];
    }),
  );
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // A second local D1 that test/replication uses as a lagging read replica of DB.
          // MIGRATION_DB: an empty one, migrated step by step by test/migrations.
          d1Databases: { REPLICA_DB: "replica-db", MIGRATION_DB: "migration-db" },
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_QUEUE_CONFIGS: queueConfigs,
            // Test-only secrets: fixed so failures reproduce; never used outside tests.
            TOKEN_HASH_KEY: "dGVzdC1vbmx5LXRva2VuLWhhc2gta2V5LTMyLWJ5dGU=",
            // High enough that no functional test meets them; test/reliability builds apps
            // with small limits to test limiting itself.
            RATE_LIMIT_PER_MINUTE: "1000000",
            RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "1000000",
            // A machine busy with parallel test files can take longer than the production
            // 50 ms to answer; tests of the budget itself set it (test/request-path).
            RATE_LIMIT_BUDGET_MS: "2000",
            ENCRYPTION_KEYS: "test1:dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=",
            // Webhooks: retries 1 s, 2 s, 4 s… so the retry tests take seconds; four attempts
            // keep the dead-letter test short; the receiver is on loopback over http.
            WEBHOOK_RETRY_DELAY_SECONDS: "1",
            WEBHOOK_MAX_ATTEMPTS: "4",
            WEBHOOK_ALLOW_LOCAL_URLS: "true",
          },
        },
      }),
    ],
    // The bundle's one alias (wrangler.toml [alias]): tests run the same code that deploys.
    resolve: { alias: BUNDLE_ALIASES },
    test: {
      setupFiles: ["./test/setup.ts"],
      // The webhook receiver: a real HTTP server on loopback (test/webhooks).
      // Images for the profile picture upload: another loopback server (test/senders).
      globalSetup: [
        "./test/webhooks/receiver.global-setup.ts",
        "./test/senders/image-server.global-setup.ts",
      ],
      include: ["test/**/*.test.ts"],
      exclude: [...configDefaults.exclude, "test/browser/**"],
      // The Worker logs one JSON line per request; keep test output readable. Tests that
      // check logging spy on console directly, which this filter does not affect.
      onConsoleLog: (log: string) => !log.includes('"event":"request"') && !log.includes('"event":"webhook_'),
    },
  };
});
