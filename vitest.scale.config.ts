import { defineConfig, type UserConfig } from "vitest/config";
import base from "./vitest.config";

// The scale measurements (test/scale, `npm run test:scale`): the same workerd pool and local D1
// as the suite, but minutes of bulk data, so they stay out of `npm test`. docs/scaling.md
// records their figures.
export default defineConfig(async (env) => {
  const config = await (base as unknown as (e: typeof env) => Promise<UserConfig>)(env);
  return {
    ...config,
    test: {
      ...config.test,
      include: ["test/scale/**/*.scale.ts"],
      testTimeout: 900_000,
      hookTimeout: 900_000,
      // One file at a time: each fills its own database with hundreds of thousands of rows.
      fileParallelism: false,
    },
  };
});
