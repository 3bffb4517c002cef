import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";
import specText from "../../fixtures/invitations-api-0.2.0.openapi.json?raw";
import { isObject, type Json, type JsonObject, toJsonSchema } from "../../support/json-schema";

/**
 * The published 0.2.0 contract (test/fixtures/invitations-api-0.2.0.openapi.json) as JSON
 * Schema draft 2020-12, to validate every response body against the schema of its operation
 * and status. OpenAPI 3.0 differs in two ways handled here: `nullable: true` (null becomes an
 * allowed type) and `$ref: '#/components/schemas/X'` (components move under `$defs`).
 */

export const spec = JSON.parse(specText) as JsonObject;

const components = (spec.components as JsonObject).schemas as JsonObject;

function defs(patch?: (defs: JsonObject) => void): JsonObject {
  const converted = Object.fromEntries(
    Object.entries(components).map(([name, schema]) => [name, toJsonSchema(schema)]),
  );
  patch?.(converted);
  return converted;
}

/** The 0.2.0 definitions, unchanged. */
const strictDefs = defs();

/**
 * The same, knowing the values the contract added after 0.2.0 (CONTRACT.md): connectionType
 * `messenger` and status `failed`. Only used for the whole body; invitations without those
 * values are then validated against the unchanged 0.2.0 `Invitation` as well.
 */
const extendedDefs = defs((d) => {
  const invitation = d.Invitation as JsonObject;
  const properties = invitation.properties as JsonObject;
  const connectionType = properties.connectionType as JsonObject;
  connectionType.enum = [...(connectionType.enum as Json[]), "messenger"];
  const status = d.InvitationStatus as JsonObject;
  status.enum = [...(status.enum as Json[]), "failed"];
});

export type OperationId = "createInvitation" | "listInvitations" | "getInvitation" | "cancelInvitation";

/** Which 0.2.0 operation a request is, by method and path (undefined: not one of them). */
export function operationOf(method: string, url: string): OperationId | undefined {
  const path = new URL(url).pathname;
  const m = method.toUpperCase();
  if (path === "/v1/invitations") {
    if (m === "POST") return "createInvitation";
    if (m === "GET") return "listInvitations";
  }
  if (/^\/v1\/invitations\/[^/]+$/.test(path) && m === "GET") return "getInvitation";
  if (/^\/v1\/invitations\/[^/]+\/cancel$/.test(path) && m === "POST") return "cancelInvitation";
  return undefined;
}

function operation(id: OperationId): JsonObject {
  for (const item of Object.values(spec.paths as JsonObject)) {
    for (const op of Object.values(item as JsonObject)) {
      if (isObject(op) && op.operationId === id) return op;
    }
  }
  throw new Error(`operation ${id} is not in the 0.2.0 document`);
}

/** The response schema the 0.2.0 document publishes for `id` and `status`, or undefined. */
export function responseSchema(id: OperationId, status: number): Json | undefined {
  const responses = operation(id).responses as JsonObject;
  const response = responses[String(status)];
  if (!isObject(response)) return undefined;
  const content = response.content as JsonObject | undefined;
  const media = content?.["application/json"];
  return isObject(media) ? (media.schema as Json) : undefined;
}

function validator(schema: Json, withDefs: JsonObject): Validator {
  const root = { ...(toJsonSchema(schema) as JsonObject), $defs: withDefs };
  return new Validator(root as unknown as Schema, "2020-12", false);
}

const strictInvitation = validator({ $ref: "#/components/schemas/Invitation" }, strictDefs);

const describe = (errors: OutputUnit[]) =>
  errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`).join("\n");

/**
 * Problems of `body` as the response of `id` with HTTP `status`, per the 0.2.0 document: an
 * undocumented status, a body that fails the published schema, or an invitation that fails the
 * unchanged 0.2.0 `Invitation` although it uses none of the values added since. Empty: valid.
 */
export function contractProblems(id: OperationId, status: number, body: unknown): string[] {
  const schema = responseSchema(id, status);
  if (schema === undefined) return [`${id}: status ${status} is not documented in 0.2.0`];
  const problems: string[] = [];
  const whole = validator(schema, extendedDefs).validate(body);
  if (!whole.valid) problems.push(`${id} ${status}:\n${describe(whole.errors)}`);
  for (const invitation of invitationsIn(body)) {
    if (invitation.connectionType === "messenger" || invitation.status === "failed") continue;
    const result = strictInvitation.validate(invitation);
    if (!result.valid)
      problems.push(`${id} ${status} invitation ${String(invitation.id)}:\n${describe(result.errors)}`);
  }
  return problems;
}

function invitationsIn(body: unknown): JsonObject[] {
  if (!isObject(body)) return [];
  if (isObject(body.invitation)) return [body.invitation];
  if (Array.isArray(body.items)) return body.items.filter(isObject);
  return [];
}
