/**
 * OpenAPI 3.0 schema objects as JSON Schema draft 2020-12, for @cfworker/json-schema (an
 * interpreter: no eval, so it runs in workerd). The two dialects differ in `nullable: true`
 * (null becomes an allowed type) and in `$ref: '#/components/schemas/X'` (components move under
 * `$defs`); OpenAPI-only annotations are dropped.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const DROPPED = new Set([
  "example",
  "examples",
  "description",
  "xml",
  "externalDocs",
  "deprecated",
  "discriminator",
  "readOnly",
  "writeOnly",
]);

export interface ConversionOptions {
  /**
   * "Closed world": an object schema that lists `properties` and says nothing of
   * `additionalProperties` gets `additionalProperties: false`, so a field the document does
   * not declare fails too (a client generated from the document would not know it).
   */
  closedObjects?: boolean;
}

export function toJsonSchema(schema: Json, options: ConversionOptions = {}): Json {
  const convert = (value: Json) => toJsonSchema(value, options);
  if (Array.isArray(schema)) return schema.map(convert);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key === "nullable") continue;
    if (key === "$ref" && typeof value === "string") {
      const match = /^#\/components\/schemas\/([^/]+)$/.exec(value);
      if (!match) throw new Error(`unsupported $ref ${value}`);
      out.$ref = `#/$defs/${match[1]}`;
    } else if ((key === "properties" || key === "patternProperties") && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    } else {
      out[key] = convert(value);
    }
  }
  if (options.closedObjects && isObject(out.properties) && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (schema.nullable !== true) return out;
  // A $ref cannot take siblings that widen it: nullable becomes anyOf [ref, null].
  if (typeof out.$ref === "string") return { anyOf: [{ $ref: out.$ref }, { type: "null" }] };
  if (typeof out.type === "string") out.type = [out.type, "null"];
  else if (Array.isArray(out.type) && !out.type.includes("null")) out.type = [...out.type, "null"];
  else if (out.type === undefined)
    return out; // `{ nullable: true }` alone: anything, null included
  else return { anyOf: [out, { type: "null" }] };
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}
