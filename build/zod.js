// Bundled in place of the "zod" package (wrangler.toml [alias], and vitest.config.ts so the
// tests run the same code). @hono/zod-openapi re-exports zod's whole `z` namespace and hands it
// to zod-to-openapi (extendZodWithOpenApi(z)), so every name that namespace exports stays in the
// bundle, used or not: a bundler cannot drop any of it, and it includes zod's error messages in
// 50 languages (`z.locales`, ~60 KiB gzip). This namespace exports only what runs here, taken
// from zod's public `zod/v4` entry: the schema builders src/ calls (`z.string()`, `z.object()`,
// `z.iso.datetime()` ...; `z.infer` and the other types come from zod's own typings) and
// `ZodType`, which extendZodWithOpenApi extends with `.openapi()`. English messages stay.
// A schema builder src/ starts to use must be added here: without it, `z.<name>` is undefined
// and every test that builds that schema fails.
import * as z from "./zod.js";

export {
  array,
  boolean,
  email,
  enum,
  iso,
  literal,
  number,
  object,
  record,
  string,
  union,
  unknown,
  ZodType,
} from "zod/v4";
export { z, z as default };
