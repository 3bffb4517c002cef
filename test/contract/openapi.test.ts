import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import published020Text from "../fixtures/invitations-api-0.2.0.openapi.json?raw";
import seedText from "../fixtures/seed-create-invitation.txt?raw";
import { call } from "../support/api";

// The generated OpenAPI document against the two binding texts: the seed (POST
// /v1/invitations, YAML inside markdown) and the published 0.2.0 JSON (list, get, cancel).

type JsonObject = { [key: string]: unknown };

function asObject(value: unknown, where: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} is not an object: ${JSON.stringify(value)}`);
  }
  return value as JsonObject;
}

function asArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where} is not an array: ${JSON.stringify(value)}`);
  return value;
}

function at(root: unknown, ...path: string[]): JsonObject {
  let node = root;
  const seen: string[] = [];
  for (const key of path) {
    seen.push(key);
    node = asObject(node, seen.slice(0, -1).join(".") || "document")[key];
  }
  return asObject(node, seen.join("."));
}

/** Follows a local `$ref` (`#/components/...`) until a node without one. */
function resolve(doc: unknown, node: unknown): JsonObject {
  let current = asObject(node, "node");
  for (let hops = 0; typeof current.$ref === "string"; hops++) {
    if (hops > 10) throw new Error("$ref loop");
    const ref = current.$ref;
    if (!ref.startsWith("#/")) throw new Error(`non-local $ref ${ref}`);
    current = at(doc, ...ref.slice(2).split("/"));
  }
  return current;
}

/** The YAML inside the first ```yaml (or ````yaml) fence of a markdown text. */
function yamlFromMarkdown(markdown: string): string {
  const match = /^(`{3,})yaml[^\n]*\n([\s\S]*?)^\1\s*$/m.exec(markdown);
  if (!match?.[2]) throw new Error("no ```yaml fence found");
  return match[2];
}

// The `yaml` package, YAML 1.2's core schema (`'201'` a string, `7` a number, no 1.1 booleans
// such as `no`); a duplicate key or any syntax error throws.
const seed = asObject(parseYaml(yamlFromMarkdown(seedText), { uniqueKeys: true }), "seed");
const published020 = asObject(JSON.parse(published020Text), "0.2.0 document");
const seedSchemas = at(seed, "components", "schemas");
const seedCreate = at(seed, "paths", "/v1/invitations", "post");

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** The attributes a property must carry exactly as the contract says. */
const PROPERTY_ATTRIBUTES = [
  "type",
  "format",
  "maxLength",
  "minLength",
  "minimum",
  "maximum",
  "default",
  "$ref",
  "enum",
] as const;

function expectSameProperty(ours: JsonObject, theirs: JsonObject, where: string) {
  for (const attribute of PROPERTY_ATTRIBUTES) {
    expect(ours[attribute], `${where}: ${attribute}`).toEqual(theirs[attribute]);
  }
  expect(ours.nullable ?? false, `${where}: nullable`).toBe(theirs.nullable ?? false);
  if (theirs.items === undefined) {
    expect(ours.items, `${where}: items`).toBeUndefined();
  } else {
    expectSameProperty(
      asObject(ours.items, `${where}.items`),
      asObject(theirs.items, `${where}.items`),
      `${where}.items`,
    );
  }
}

function schemaOfResponse(response: JsonObject): JsonObject {
  return at(response, "content", "application/json", "schema");
}

let doc: JsonObject;
let docResponse: Response;

beforeAll(async () => {
  docResponse = await call("/openapi.json");
  doc = asObject(await docResponse.clone().json(), "/openapi.json");
});

describe("the contract fixtures", () => {
  it("reads the seed's YAML as the comparisons assume: mappings, sequences, quoted and block scalars", () => {
    const parsed = parseYaml(
      [
        "a:",
        "  folded: >-",
        "    one",
        "    two",
        "",
        "    three",
        "  literal: |",
        "    x",
        "    y",
        "  quoted: '+1 ''q'''",
        '  double: "a\\tb"',
        "  list:",
        "    - US",
        "    - 7",
        "  maps:",
        "    - bearerAuth: []",
        "      other: true",
        "  empty: {}",
        "  flow: [a, 'b c']",
        "  num: 1.5",
        "  nothing:",
        "'201':",
        "  url: https://api.zavu.dev/x",
      ].join("\n"),
    );
    expect(parsed).toEqual({
      a: {
        folded: "one two\nthree",
        literal: "x\ny\n",
        quoted: "+1 'q'",
        double: "a\tb",
        list: ["US", 7],
        maps: [{ bearerAuth: [], other: true }],
        empty: {},
        flow: ["a", "b c"],
        num: 1.5,
        nothing: null,
      },
      "201": { url: "https://api.zavu.dev/x" },
    });
    // Malformed YAML, a duplicate key: an error, never a guess.
    expect(() => parseYaml("a:\n  b: 1\n    c: 2")).toThrow();
    expect(() => parseYaml("a: 1\na: 2", { uniqueKeys: true })).toThrow(/unique/);
    expect(yamlFromMarkdown("text\n````yaml\nx: 1\n````\n")).toBe("x: 1\n");
    expect(() => yamlFromMarkdown("no fence")).toThrow(/no ```yaml fence/);
  });

  it("the seed parses to the 0.2.0 create operation (the values a test compares against)", () => {
    expect(seed.openapi).toBe("3.0.3");
    expect(at(seed, "info").version).toBe("0.2.0");
    expect(seedCreate.operationId).toBe("createInvitation");
    const examples = at(seedCreate, "requestBody", "content", "application/json", "examples");
    expect(at(examples, "full", "value")).toEqual({
      clientName: "Acme Corp",
      clientEmail: "contact@acme.com",
      clientPhone: "+14155551234",
      expiresInDays: 14,
      allowedPhoneCountries: ["US", "MX"],
    });
    expect(Object.keys(seedSchemas).sort()).toEqual(
      ["Error", "Invitation", "InvitationCreateRequest", "InvitationResponse", "InvitationStatus"].sort(),
    );
    expect(at(seedSchemas, "InvitationCreateRequest", "properties", "clientName").maxLength).toBe(100);
    expect(at(seedSchemas, "InvitationCreateRequest", "properties", "expiresInDays")).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 30,
      default: 7,
    });
  });

  it("the seed's schemas equal the 0.2.0 JSON's, but for connectionType (which our contract redefines)", () => {
    const published = at(published020, "components", "schemas");
    for (const [name, schema] of Object.entries(seedSchemas)) {
      const copy = structuredClone(asObject(published[name], `0.2.0 ${name}`));
      if (copy.properties) delete asObject(copy.properties, name).connectionType;
      expect(schema, name).toEqual(copy);
    }
    const publishedCreate = at(published020, "paths", "/v1/invitations", "post");
    expect(seedCreate.responses).toEqual(publishedCreate.responses);
    expect(seedCreate.security).toEqual(publishedCreate.security);
    expect(at(seedCreate, "requestBody").required).toBe(false);
    expect(at(seed, "components", "securitySchemes")).toEqual(
      at(published020, "components", "securitySchemes"),
    );
  });
});

describe("GET /openapi.json against the seed (POST /v1/invitations)", () => {
  it("is served without auth as an OpenAPI 3.0 JSON document of API version 0.2.0", () => {
    expect(docResponse.status).toBe(200);
    expect(docResponse.headers.get("content-type")).toMatch(/^application\/json/);
    expect(doc.openapi).toBe(seed.openapi);
    expect(at(doc, "info").version).toBe("0.2.0");
  });

  it("has the seed's component schemas", () => {
    const schemas = at(doc, "components", "schemas");
    for (const name of [
      "InvitationCreateRequest",
      "InvitationResponse",
      "Invitation",
      "InvitationStatus",
      "Error",
    ]) {
      expect(schemas, name).toHaveProperty(name);
    }
  });

  for (const component of ["InvitationCreateRequest", "Invitation"]) {
    const seedProperties = at(seedSchemas, component, "properties");
    for (const [name, seedProperty] of Object.entries(seedProperties)) {
      it(`${component}.${name}: same type, format, limits, default, items and nullability`, () => {
        const ours = at(doc, "components", "schemas", component, "properties", name);
        expectSameProperty(ours, asObject(seedProperty, name), `${component}.${name}`);
      });
    }

    it(`${component} is an object with the seed's required list`, () => {
      const ours = at(doc, "components", "schemas", component);
      expect(ours.type).toBe("object");
      expect([...asArray(ours.required ?? [], "required")].sort()).toEqual(
        [...asArray(at(seedSchemas, component).required ?? [], "seed required")].sort(),
      );
    });
  }

  it("Invitation requires exactly id, url, token, status, expiresAt, createdAt, updatedAt", () => {
    const ours = at(doc, "components", "schemas", "Invitation");
    expect([...asArray(ours.required, "required")].sort()).toEqual(
      ["id", "url", "token", "status", "expiresAt", "createdAt", "updatedAt"].sort(),
    );
  });

  it("Invitation's nullable fields (seed and contract additions) are nullable", () => {
    const properties = at(doc, "components", "schemas", "Invitation", "properties");
    const nullable = [
      "clientName",
      "clientEmail",
      "clientPhone",
      "phoneNumberId",
      "senderId",
      "viewedAt",
      "startedAt",
      "completedAt",
      "failedAt",
      "failureReason",
      "connectedAccount",
    ];
    for (const name of nullable) expect(at(properties, name).nullable, name).toBe(true);
    for (const name of ["id", "url", "token", "expiresAt", "createdAt", "updatedAt"]) {
      expect(at(properties, name).nullable ?? false, name).toBe(false);
    }
  });

  it("Invitation has the contract's newer fields: connectionType, connectedAccount, failureReason, failedAt", () => {
    const properties = at(doc, "components", "schemas", "Invitation", "properties");
    expect(at(properties, "connectionType")).toMatchObject({ type: "string" });
    expect([...asArray(at(properties, "connectionType").enum, "enum")].sort()).toEqual(
      ["messenger", "whatsapp_waba"].sort(),
    );
    expect(at(properties, "failureReason")).toMatchObject({ type: "string", nullable: true });
    expect(at(properties, "failedAt")).toMatchObject({ type: "string", format: "date-time", nullable: true });
    const account = resolve(doc, at(properties, "connectedAccount"));
    expect(Object.keys(at(account, "properties")).sort()).toEqual(["channel", "id", "name"]);
    expect([...asArray(at(account, "properties", "channel").enum, "channel enum")].sort()).toEqual([
      "messenger",
      "whatsapp",
    ]);
  });

  it("InvitationCreateRequest.connectionType: whatsapp_waba (default) or messenger", () => {
    const property = at(
      doc,
      "components",
      "schemas",
      "InvitationCreateRequest",
      "properties",
      "connectionType",
    );
    expect(property.type).toBe("string");
    expect(property.default).toBe("whatsapp_waba");
    expect([...asArray(property.enum, "enum")].sort()).toEqual(["messenger", "whatsapp_waba"]);
  });

  it("InvitationResponse is { invitation: Invitation }, required", () => {
    const ours = at(doc, "components", "schemas", "InvitationResponse");
    const theirs = at(seedSchemas, "InvitationResponse");
    expect(ours.type).toBe(theirs.type);
    expect(ours.required).toEqual(theirs.required);
    expect(at(ours, "properties", "invitation")).toEqual(at(theirs, "properties", "invitation"));
  });

  it("Error is { code, message, details? } with code and message required", () => {
    const ours = at(doc, "components", "schemas", "Error");
    const theirs = at(seedSchemas, "Error");
    expect(ours.type).toBe("object");
    expect([...asArray(ours.required, "required")].sort()).toEqual(["code", "message"]);
    expect([...asArray(theirs.required, "seed required")].sort()).toEqual(["code", "message"]);
    for (const name of Object.keys(at(theirs, "properties"))) {
      expect(at(ours, "properties", name).type, name).toBe(at(theirs, "properties", name).type);
    }
  });

  it("InvitationStatus is a string enum containing the seed's values, plus failed", () => {
    const ours = at(doc, "components", "schemas", "InvitationStatus");
    const theirs = at(seedSchemas, "InvitationStatus");
    expect(ours.type).toBe("string");
    const ourEnum = asArray(ours.enum, "enum");
    for (const value of asArray(theirs.enum, "seed enum")) expect(ourEnum).toContain(value);
    expect(ourEnum.filter((value) => !asArray(theirs.enum, "seed enum").includes(value))).toEqual(["failed"]);
  });

  it("POST /v1/invitations: operationId, optional JSON body, 201 InvitationResponse, 400 and 401 Error", () => {
    const ours = at(doc, "paths", "/v1/invitations", "post");
    expect(ours.operationId).toBe(seedCreate.operationId);
    const body = at(ours, "requestBody");
    expect(body.required ?? false).toBe(false);
    expect(at(body, "content", "application/json", "schema")).toEqual(
      at(seedCreate, "requestBody", "content", "application/json", "schema"),
    );
    const responses = at(ours, "responses");
    for (const [status, seedResponse] of Object.entries(at(seedCreate, "responses"))) {
      const response = at(responses, status);
      expect(schemaOfResponse(response), status).toEqual(schemaOfResponse(asObject(seedResponse, status)));
    }
    expect(at(responses, "201", "content", "application/json", "schema").$ref).toBe(
      "#/components/schemas/InvitationResponse",
    );
    expect(at(responses, "400", "content", "application/json", "schema").$ref).toBe(
      "#/components/schemas/Error",
    );
    expect(at(responses, "401", "content", "application/json", "schema").$ref).toBe(
      "#/components/schemas/Error",
    );
  });

  it("POST /v1/invitations documents the seed's basic and full examples unchanged", () => {
    const ours = at(doc, "paths", "/v1/invitations", "post", "requestBody", "content", "application/json");
    const theirs = at(seedCreate, "requestBody", "content", "application/json", "examples");
    for (const [name, example] of Object.entries(theirs)) {
      expect(at(ours, "examples", name), name).toEqual(example);
    }
  });

  it("declares the bearerAuth scheme (http bearer), requires it on /v1 and nowhere on the invite link", () => {
    expect(at(doc, "components", "securitySchemes", "bearerAuth")).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(doc.security).toEqual(seed.security);
    const paths = at(doc, "paths");
    const seen: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      for (const method of HTTP_METHODS) {
        const operation = asObject(item, path)[method];
        if (operation === undefined) continue;
        seen.push(`${method} ${path}`);
        // The invite link's token is its only credential: an API key there would be a leak.
        const expected = path.startsWith("/v1/") ? [{ bearerAuth: [] }] : [];
        expect(asObject(operation, `${method} ${path}`).security, `${method} ${path}`).toEqual(expected);
      }
    }
    expect(seen.filter((o) => o.includes(" /v1/")).sort()).toEqual([
      "delete /v1/invitations/branding/logo",
      "delete /v1/invitations/webhook",
      "delete /v1/senders/{senderId}",
      "get /v1/invitations",
      "get /v1/invitations/branding",
      "get /v1/invitations/stats",
      "get /v1/invitations/webhook",
      "get /v1/invitations/webhook/deliveries",
      "get /v1/invitations/{invitationId}",
      "get /v1/invitations/{invitationId}/attempts",
      "get /v1/senders",
      "get /v1/senders/{senderId}",
      "get /v1/senders/{senderId}/profile",
      "get /v1/senders/{senderId}/whatsapp-sync",
      "patch /v1/invitations/webhook",
      "patch /v1/senders/{senderId}",
      "patch /v1/senders/{senderId}/profile",
      "post /v1/invitations",
      "post /v1/invitations/webhook",
      "post /v1/invitations/webhook/events/{eventId}/resend",
      "post /v1/invitations/webhook/secret",
      "post /v1/invitations/{invitationId}/cancel",
      "post /v1/senders/{senderId}/profile/picture",
      "post /v1/senders/{senderId}/whatsapp-sync/contacts",
      "post /v1/senders/{senderId}/whatsapp-sync/history",
      "put /v1/invitations/branding",
      "put /v1/invitations/branding/logo",
    ]);
    expect(seen.filter((o) => o.startsWith("post /invite/")).sort()).toEqual([
      "post /invite/{token}/add-number",
      "post /invite/{token}/complete",
      "post /invite/{token}/fail",
      "post /invite/{token}/pages",
      "post /invite/{token}/redirect",
      "post /invite/{token}/request-code",
      "post /invite/{token}/start",
      "post /invite/{token}/verify-code",
    ]);
  });
});

describe("GET /openapi.json against the published 0.2.0 operations", () => {
  const publishedPaths = at(published020, "paths");
  const publishedOperations: { path: string; method: string; operation: JsonObject }[] = [];
  for (const [path, item] of Object.entries(publishedPaths)) {
    for (const method of HTTP_METHODS) {
      const operation = asObject(item, path)[method];
      if (operation !== undefined) {
        publishedOperations.push({ path, method, operation: asObject(operation, `${method} ${path}`) });
      }
    }
  }

  it("the 0.2.0 file has the four operations", () => {
    expect(publishedOperations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      [
        "GET /v1/invitations",
        "GET /v1/invitations/{invitationId}",
        "POST /v1/invitations",
        "POST /v1/invitations/{invitationId}/cancel",
      ].sort(),
    );
  });

  for (const { path, method, operation } of publishedOperations) {
    const name = `${method.toUpperCase()} ${path}`;

    it(`${name}: exists with operationId ${String(operation.operationId)}`, () => {
      expect(at(doc, "paths", path, method).operationId).toBe(operation.operationId);
    });

    it(`${name}: declares every published response with a compatible JSON schema`, () => {
      const ours = at(doc, "paths", path, method, "responses");
      for (const [status, published] of Object.entries(at(operation, "responses"))) {
        const theirSchema = schemaOfResponse(asObject(published, status));
        const ourSchema = schemaOfResponse(at(ours, status));
        if (typeof theirSchema.$ref === "string") {
          expect(ourSchema, `${name} ${status}`).toEqual(theirSchema);
          continue;
        }
        // Inline in 0.2.0 (the list page): compare the shape, wherever ours is defined.
        const resolved = resolve(doc, ourSchema);
        expect(resolved.type).toBe(theirSchema.type);
        for (const required of asArray(theirSchema.required ?? [], "required")) {
          expect(asArray(resolved.required ?? [], "our required"), `${name} ${status}`).toContain(required);
        }
        for (const [property, theirs] of Object.entries(at(theirSchema, "properties"))) {
          expectSameProperty(
            at(resolved, "properties", property),
            asObject(theirs, property),
            `${name} ${status}.${property}`,
          );
        }
      }
    });

    it(`${name}: declares every published parameter with a compatible schema`, () => {
      const ours = asArray(at(doc, "paths", path, method).parameters ?? [], "parameters").map((p) =>
        resolve(doc, p),
      );
      for (const publishedParameter of asArray(operation.parameters ?? [], "published parameters")) {
        const theirs = resolve(published020, publishedParameter);
        const match = ours.find((p) => p.name === theirs.name && p.in === theirs.in);
        expect(match, `${name}: parameter ${String(theirs.name)} in ${String(theirs.in)}`).toBeDefined();
        if (!match) continue;
        expect(match.required ?? false).toBe(theirs.required ?? false);
        const theirSchema = at(theirs, "schema");
        const ourSchema = at(match, "schema");
        for (const [key, value] of Object.entries(theirSchema)) {
          expect(ourSchema[key], `${name}: ${String(theirs.name)}.${key}`).toEqual(value);
        }
      }
    });
  }

  it("GET /v1/invitations: status, limit (integer, default 50, maximum 100) and cursor in the query, and the additive metadata filter", () => {
    const parameters = asArray(at(doc, "paths", "/v1/invitations", "get").parameters, "parameters").map((p) =>
      resolve(doc, p),
    );
    const byName = new Map(parameters.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(["cursor", "limit", "metadata", "status"]);
    for (const parameter of parameters) expect(parameter.in).toBe("query");
    expect(byName.get("metadata")?.required).toBe(false);
    expect(at(byName.get("status"), "schema").$ref).toBe("#/components/schemas/InvitationStatus");
    expect(at(byName.get("limit"), "schema")).toMatchObject({ type: "integer", default: 50, maximum: 100 });
    expect(at(byName.get("cursor"), "schema").type).toBe("string");
  });

  it("GET /v1/invitations 200: { items: Invitation[], nextCursor: string | null }", () => {
    const page = resolve(
      doc,
      at(doc, "paths", "/v1/invitations", "get", "responses", "200", "content", "application/json", "schema"),
    );
    expect(at(page, "properties", "items")).toMatchObject({
      type: "array",
      items: { $ref: "#/components/schemas/Invitation" },
    });
    expect(at(page, "properties", "nextCursor")).toMatchObject({ type: "string", nullable: true });
    expect(asArray(page.required, "required")).toContain("items");
  });

  it("the expected statuses: get 200/401/404, cancel 200/400/401/404, list 200/401", () => {
    const statuses = (path: string, method: string) =>
      Object.keys(at(doc, "paths", path, method, "responses"));
    expect(statuses("/v1/invitations/{invitationId}", "get")).toEqual(
      expect.arrayContaining(["200", "401", "404"]),
    );
    expect(statuses("/v1/invitations/{invitationId}/cancel", "post")).toEqual(
      expect.arrayContaining(["200", "400", "401", "404"]),
    );
    expect(statuses("/v1/invitations", "get")).toEqual(expect.arrayContaining(["200", "401"]));
  });

  it("every response of every operation has JSON content with a schema", () => {
    let responses = 0;
    for (const [path, item] of Object.entries(at(doc, "paths"))) {
      for (const method of HTTP_METHODS) {
        const operation = asObject(item, path)[method];
        if (operation === undefined) continue;
        for (const [status, response] of Object.entries(at(operation, "responses"))) {
          // A logo's 200 is the image itself; its errors are JSON like every other.
          if (path === "/branding/logos/{hash}" && status === "200") continue;
          responses++;
          const schema = at(response, "content", "application/json", "schema");
          expect(Object.keys(schema).length, `${method} ${path} ${status}`).toBeGreaterThan(0);
          const resolved = resolve(doc, schema);
          expect(resolved.type, `${method} ${path} ${status}`).toBe("object");
        }
      }
    }
    expect(responses).toBeGreaterThanOrEqual(13);
  });
});

describe("GET /docs", () => {
  it("serves, without auth, an HTML page that loads /openapi.json", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain("/openapi.json");
  });
});
