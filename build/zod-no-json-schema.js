// Bundled in place of zod's JSON Schema converter (core/to-json-schema.js and
// core/json-schema-processors.js, ~18 KiB minified) through wrangler.toml [alias] and
// vitest.config.ts, which match the exact import strings classic/schemas.js uses. Nothing here
// converts a schema to JSON Schema: /openapi.json is built by zod-to-openapi, which reads the
// schemas' definitions and checks, not zod's converter. What classic/schemas.js needs at load
// and while validating stays real: aggregateChecks (behind `.minLength`, `.maxValue`... which
// zod-to-openapi reads). The converter's entry points throw if anything ever calls them
// (`schema.toJSONSchema()`, `schema["~standard"].jsonSchema`), rather than answer wrongly.
export { aggregateChecks } from "../node_modules/zod/v4/core/json-schema-processors.js";

function unsupported() {
  throw new Error("zod's JSON Schema conversion is not bundled in this Worker (build/zod-no-json-schema.js)");
}

export const createToJSONSchemaMethod = () => unsupported;
export const createStandardJSONSchemaMethod = () => unsupported;
export const anyProcessor = unsupported;
export const arrayProcessor = unsupported;
export const bigintProcessor = unsupported;
export const booleanProcessor = unsupported;
export const catchProcessor = unsupported;
export const customProcessor = unsupported;
export const dateProcessor = unsupported;
export const defaultProcessor = unsupported;
export const enumProcessor = unsupported;
export const fileProcessor = unsupported;
export const functionProcessor = unsupported;
export const intersectionProcessor = unsupported;
export const lazyProcessor = unsupported;
export const literalProcessor = unsupported;
export const mapProcessor = unsupported;
export const nanProcessor = unsupported;
export const neverProcessor = unsupported;
export const nonoptionalProcessor = unsupported;
export const nullProcessor = unsupported;
export const nullableProcessor = unsupported;
export const numberProcessor = unsupported;
export const objectProcessor = unsupported;
export const optionalProcessor = unsupported;
export const pipeProcessor = unsupported;
export const prefaultProcessor = unsupported;
export const promiseProcessor = unsupported;
export const readonlyProcessor = unsupported;
export const recordProcessor = unsupported;
export const setProcessor = unsupported;
export const stringProcessor = unsupported;
export const successProcessor = unsupported;
export const symbolProcessor = unsupported;
export const templateLiteralProcessor = unsupported;
export const transformProcessor = unsupported;
export const tupleProcessor = unsupported;
export const undefinedProcessor = unsupported;
export const unionProcessor = unsupported;
export const unknownProcessor = unsupported;
export const voidProcessor = unsupported;
