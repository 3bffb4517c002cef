// Bundled in place of the "zod" package (wrangler.toml [alias], and vitest.config.ts so the
// tests run the same code). It is zod's own entry (node_modules/zod/v4/classic/external.js)
// minus what this Worker never calls and a bundler cannot drop on its own, because
// @hono/zod-openapi re-exports the whole `z` namespace: the error messages in 50 languages
// (`locales`, ~260 KiB), `core` as a namespace, the schema compiler, JSON Schema conversion
// and deepPartial. English messages stay (classic/schemas.js registers them).
// `npm run size` shows what each dependency costs.
import * as z from "./zod.js";

export * from "../node_modules/zod/v4/classic/checks.js";
export * as coerce from "../node_modules/zod/v4/classic/coerce.js";
export * from "../node_modules/zod/v4/classic/compat.js";
export * from "../node_modules/zod/v4/classic/errors.js";
export { input, output } from "../node_modules/zod/v4/classic/in-out.js";
export * as iso from "../node_modules/zod/v4/classic/iso.js";
export {
  ZodISODate,
  ZodISODateTime,
  ZodISODuration,
  ZodISOTime,
} from "../node_modules/zod/v4/classic/iso.js";
export * from "../node_modules/zod/v4/classic/parse.js";
export * from "../node_modules/zod/v4/classic/schemas.js";
export {
  $brand,
  $input,
  $output,
  clone,
  config,
  flattenError,
  formatError,
  globalRegistry,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  treeifyError,
  util,
} from "../node_modules/zod/v4/core/index.js";
export { z, z as default };
