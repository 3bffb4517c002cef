// Bundled in place of "@asteasolutions/zod-to-openapi" (wrangler.toml [alias], and
// vitest.config.ts): the names @hono/zod-openapi imports from it, all zod-to-openapi's own,
// except the OpenAPI 3.1 generator. @hono/zod-openapi reaches that one only through
// `app.doc31()` / `getOpenAPI31Document()`; src/app.ts serves an OpenAPI 3.0 document
// (`app.doc`, OpenApiGeneratorV3), so the 3.1 generator never runs here and would only add to
// the bundle. Should a 3.1 document be wanted, drop this file's alias.
export {
  extendZodWithOpenApi,
  getOpenApiMetadata,
  OpenAPIRegistry,
  OpenApiGeneratorV3,
} from "../node_modules/@asteasolutions/zod-to-openapi/dist/index.mjs";

export class OpenApiGeneratorV31 {
  constructor() {
    throw new Error("the OpenAPI 3.1 generator is not bundled in this Worker (build/zod-to-openapi.js)");
  }
}
