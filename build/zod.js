// Bundled in place of the "zod" package (wrangler.toml [alias], and vitest.config.ts so the
// tests run the same code). @hono/zod-openapi re-exports zod's whole `z` namespace and hands it
// to zod-to-openapi (extendZodWithOpenApi(z)), so every name the namespace exports stays in the
// bundle, used or not: a bundler cannot drop any of it. This namespace therefore exports only
// what runs here: the schema builders src/ calls (`z.string()`, `z.object()`, `z.iso.datetime()`
// ...; `z.infer` and the other types come from zod's own typings, not from this file) and
// `ZodType`, which extendZodWithOpenApi extends with `.openapi()`. Everything else (the error
// messages in 50 languages, ~260 KiB; map, set, date, bigint, file, promise, function, codec,
// template-literal schemas, coerce, the JSON Schema converter, the error formatters ...) is
// left out; the methods of the schemas kept (`.optional()`, `.email()`, `.refine()` ...) still
// bring what they need. English messages stay (classic/schemas.js registers them).
// A schema builder src/ starts to use must be added here: without it, `z.<name>` is undefined
// and every test that builds that schema fails. `npm run size` shows what each dependency costs.
import * as z from "./zod.js";

export {
  array,
  boolean,
  email,
  enum,
  literal,
  number,
  object,
  record,
  string,
  union,
  unknown,
  ZodType,
} from "../node_modules/zod/v4/classic/schemas.js";
export * as iso from "./zod-iso.js";
export { z, z as default };
