import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";
import { buildDocsAssets } from "./scripts/docs-assets";

// Tests run inside workerd (the Workers runtime) against a real local D1, migrated from
// drizzle/ exactly as `wrangler d1 migrations apply` would. The browser suite (test/browser:
// Chromium against the Worker served locally by wrangler) has its own: vitest.browser.config.ts.
const build = (file: string) => path.join(import.meta.dirname, "build", file);
/** wrangler.toml [alias], the same import strings matched whole. */
const BUNDLE_ALIASES = [
  { find: /^zod$/, replacement: build("zod.js") },
  { find: /^@asteasolutions\/zod-to-openapi$/, replacement: build("zod-to-openapi.js") },
  { find: /^\.\/hono\.js$/, replacement: build("hono.js") },
  {
    find: /^\.\.\/core\/(to-json-schema|json-schema-processors)\.js$/,
    replacement: build("zod-no-json-schema.js"),
  },
  {
    find: /^(\.\.\/pg-core\/columns\/enum|\.\/pg-core\/primary-keys)\.js$/,
    replacement: build("drizzle-no-pg.js"),
  },
  {
    find: /^(\.\.\/relations|\.\/query-builders\/query)\.js$/,
    replacement: build("drizzle-no-relational.js"),
  },
];

export default defineConfig(async () => {
  // The static Worker's files (public/) must exist before the pool starts it.
  buildDocsAssets();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "drizzle"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // A second local D1 that test/replication uses as a lagging read replica of DB.
          d1Databases: { REPLICA_DB: "replica-db" },
          // The static Worker behind wrangler.toml's STATIC binding (wrangler.static.toml): the
          // same public/ and asset handling, and its script (src/static/worker.ts) inline, as
          // an auxiliary Worker takes plain JavaScript.
          workers: [
            {
              name: "partner-invitations-static",
              compatibilityDate: "2026-04-20",
              modules: true,
              script: "export default { fetch: (request, env) => env.ASSETS.fetch(request) };",
              assets: { directory: path.join(import.meta.dirname, "public"), binding: "ASSETS" },
            },
          ],
          bindings: {
            TEST_MIGRATIONS: migrations,
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
    // The Worker bundle's stand-ins (wrangler.toml [alias], build/): tests run the same code
    // that deploys.
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
