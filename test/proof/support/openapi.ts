import { type Schema, Validator } from "@cfworker/json-schema";
import { toJsonSchema as convert, isObject, type Json, type JsonObject } from "../../support/json-schema";
import { dispatch } from "./http";

/**
 * Validates response bodies against the OpenAPI document the Worker itself serves
 * (GET /openapi.json), with @cfworker/json-schema (an interpreter: no eval, runs in workerd).
 *
 * OpenAPI 3.0 schemas become JSON Schema 2020-12: `nullable: true` widens the type with null,
 * `#/components/schemas/X` becomes `#/$defs/X`. One deliberate tightening ("closed world"):
 * an object schema that lists `properties` and says nothing of `additionalProperties` gets
 * `additionalProperties: false`, so a response field that the document does not declare is a
 * failure too (a client generated from the document would not know it).
 */

const toJsonSchema = (schema: Json) => convert(schema, { closedObjects: true });

export interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  responses: Record<string, Json>;
}

export interface ApiDocument {
  doc: JsonObject;
  operations: Operation[];
  /** The operation a request is, by method (HEAD as GET) and encoded path. */
  operationOf(method: string, pathname: string): Operation | undefined;
  /** Validation errors of `body` against the schema of `status` of `op` (empty: valid). */
  validate(op: Operation, status: number, body: unknown): string[];
  /** Validation errors against a component (`Error`, `Invitation`, …). */
  validateComponent(name: string, body: unknown): string[];
  /** A schema value of the document, by JSON pointer (`/components/schemas/…`). */
  pointer(path: string): Json | undefined;
}

export async function loadApiDocument(): Promise<ApiDocument> {
  const sent = await dispatch({ method: "GET", path: "/openapi.json" });
  if (sent.res.status !== 200) throw new Error(`GET /openapi.json: ${sent.res.status}`);
  const doc = JSON.parse(sent.text) as JsonObject;
  const components = ((doc.components as JsonObject).schemas ?? {}) as JsonObject;
  const defs = Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toJsonSchema(v)]));

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as JsonObject)) {
    for (const [method, op] of Object.entries(item as JsonObject)) {
      if (!isObject(op) || !isObject(op.responses)) continue;
      const pattern = template
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
        .join("");
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        responses: op.responses as Record<string, Json>,
      });
    }
  }

  const cache = new Map<string, Validator>();
  const validatorFor = (key: string, schema: Json): Validator => {
    let validator = cache.get(key);
    if (!validator) {
      const root = { ...(toJsonSchema(schema) as JsonObject), $defs: defs };
      validator = new Validator(root as unknown as Schema, "2020-12", false);
      cache.set(key, validator);
    }
    return validator;
  };
  const run = (validator: Validator, body: unknown) => {
    const result = validator.validate(body);
    return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
  };

  return {
    doc,
    operations,
    operationOf(method, pathname) {
      const m = method === "HEAD" ? "GET" : method;
      return operations.find((op) => op.method === m && op.regex.test(pathname));
    },
    validate(op, status, body) {
      const response = op.responses[String(status)];
      if (!isObject(response)) return [`status ${status} is not declared for ${op.method} ${op.template}`];
      const schema = (
        (response.content as JsonObject | undefined)?.["application/json"] as JsonObject | undefined
      )?.schema;
      if (schema === undefined)
        return [`no application/json schema for ${status} of ${op.method} ${op.template}`];
      return run(validatorFor(`${op.method} ${op.template} ${status}`, schema), body);
    },
    validateComponent(name, body) {
      if (!(name in components)) return [`no component ${name}`];
      return run(validatorFor(`#${name}`, { $ref: `#/components/schemas/${name}` }), body);
    },
    pointer(path) {
      let value: Json | undefined = doc;
      for (const part of path.split("/").slice(1)) {
        value = isObject(value) ? value[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
      }
      return value;
    },
  };
}
