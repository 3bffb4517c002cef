import { defineConfig } from "vitest/config";

// The browser suite: Node-side tests that drive Debian's Chromium (playwright-core) against the
// real Worker served locally by wrangler (test/browser/global-setup.ts). `npm test` runs it
// after the workerd suite (vitest.config.ts); alone: `npm run test:browser`.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    globalSetup: ["./test/browser/global-setup.ts"],
    environment: "node",
    // Each file launches its own Chromium; one at a time keeps a 2-core machine responsive.
    fileParallelism: false,
    testTimeout: 45_000,
    hookTimeout: 45_000,
    teardownTimeout: 30_000,
  },
});
