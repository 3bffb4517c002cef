import { env } from "cloudflare:workers";
import { COUNTRY_CODES } from "../../../src/lib/countries";
import { decryptSecret } from "../../../src/lib/crypto";
import { invitationRow } from "./db";
import { BASE, type Sent } from "./http";
import { type Checked, type ErrorBody, failWith, isPlainObject } from "./invariants";

/**
 * An independent model of `POST /v1/invitations`, written from the contract (field names,
 * types, limits and defaults of InvitationCreateRequest, plus CONTRACT.md), not from src/.
 * Given the body as the server reads it, it says what must happen.
 */

export const DAY_MS = 86_400_000;
export const MAX_BODY_BYTES = 64 * 1024;
export const CREATE_FIELDS = [
  "clientName",
  "clientEmail",
  "clientPhone",
  "phoneNumberId",
  "expiresInDays",
  "allowedPhoneCountries",
  "connectionType",
] as const;
export type CreateField = (typeof CREATE_FIELDS)[number];

/** E.164, as the contract's pattern for clientPhone. */
export const E164 = /^\+[1-9]\d{1,14}$/;
// The usual strict e-mail syntax (dot-atoms, a dotted domain with a 2+ letter TLD), at most 254.
const EMAIL =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
/** Generators draw country codes from these (assigned) and non-codes (unassigned or malformed). */
export const SOME_COUNTRIES = ["US", "MX", "DE", "BR", "FR", "JP", "IN", "GB", "AR", "ES"];
export const NOT_COUNTRIES = ["ZZ", "XX", "QZ", "XA", "AA", "ÜS", "U1", "  "];

const codePoints = (s: string) => [...s].length;

function validField(field: CreateField, value: unknown): boolean {
  switch (field) {
    case "clientName":
      // JSON Schema counts characters (code points), not UTF-16 units.
      return typeof value === "string" && codePoints(value) <= 100;
    case "clientEmail":
      return typeof value === "string" && value.length <= 254 && EMAIL.test(value);
    case "clientPhone":
      return typeof value === "string" && E164.test(value);
    case "phoneNumberId":
      // Type-level validity; whether the id is usable is checked after the schema.
      return typeof value === "string";
    case "expiresInDays":
      return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 30;
    case "allowedPhoneCountries": {
      if (!Array.isArray(value) || value.length === 0) return false;
      const seen = new Set<string>();
      for (const code of value) {
        if (typeof code !== "string" || codePoints(code) !== 2) return false;
        // The ISO 3166-1 alpha-2 list is data, not logic: the service's copy of it is used.
        const upper = code.toUpperCase();
        if (!COUNTRY_CODES.has(upper) || seen.has(upper)) return false;
        seen.add(upper);
      }
      return true;
    }
    case "connectionType":
      return value === "whatsapp_waba" || value === "messenger";
  }
}

export type CreateExpectation =
  | { kind: "created"; input: Record<string, unknown> }
  /** 400 invalid_request naming at least `mustName` and nothing outside `mayName` in details.fields. */
  | { kind: "invalid"; mustName: string[]; mayName: string[] };

/** What the service must do with this body (already parsed as JSON, as the server parses it). */
export function expectCreate(view: unknown, validPhoneIds: ReadonlySet<string>): CreateExpectation {
  if (!isPlainObject(view)) return { kind: "invalid", mustName: ["body"], mayName: ["body"] };
  const keys = Object.keys(view);
  const bad = keys.filter(
    (k) => !(CREATE_FIELDS as readonly string[]).includes(k) || !validField(k as CreateField, view[k]),
  );
  const conflicts =
    view.connectionType === "messenger"
      ? (["phoneNumberId", "allowedPhoneCountries"] as const).filter((k) => Object.hasOwn(view, k))
      : [];
  if (bad.length > 0) return { kind: "invalid", mustName: bad, mayName: [...bad, ...conflicts] };
  if (conflicts.length > 0) return { kind: "invalid", mustName: conflicts, mayName: conflicts };
  if (Object.hasOwn(view, "phoneNumberId") && !validPhoneIds.has(view.phoneNumberId as string)) {
    return { kind: "invalid", mustName: ["phoneNumberId"], mayName: ["phoneNumberId"] };
  }
  return { kind: "created", input: view };
}

/** Checks a 400 against an `invalid` expectation: every offending field named, no other. */
export function checkInvalid(
  sent: Sent,
  checked: Checked,
  expectation: { mustName: string[]; mayName: string[] },
): void {
  const body = checked.body as ErrorBody;
  if (checked.status !== 400 || body.code !== "invalid_request") {
    failWith(sent, `expected 400 invalid_request naming ${JSON.stringify(expectation.mustName)}`);
  }
  const fields = body.details?.fields;
  if (!isPlainObject(fields)) failWith(sent, "validation error without details.fields");
  const named = Object.keys(fields);
  const root = (name: string) => name.split(".")[0] ?? name;
  for (const field of expectation.mustName) {
    if (!Object.hasOwn(fields, field) && !named.some((n) => n.startsWith(`${field}.`))) {
      failWith(sent, `offending field ${JSON.stringify(field)} not named in details.fields`);
    }
  }
  for (const name of named) {
    const message = fields[name];
    if (typeof message !== "string" || message.trim() === "" || /\[object |\[native code\]/.test(message)) {
      failWith(sent, `details.fields[${JSON.stringify(name)}] is not a plain message: ${String(message)}`);
    }
    const atFault = (f: string) => name === f || root(name) === f || name.startsWith(`${f}.`);
    if (!expectation.mayName.some(atFault)) {
      failWith(sent, `details.fields names ${JSON.stringify(name)}, which is not at fault`);
    }
  }
}

interface WireInvitation {
  id: string;
  url: string;
  token: string;
  status: string;
  [key: string]: unknown;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ms = (iso: unknown) => (typeof iso === "string" ? Date.parse(iso) : Number.NaN);

/**
 * A 201 create: the response says what was asked (defaults applied), and the stored row says
 * what the response says.
 */
export async function checkCreated(
  sent: Sent,
  checked: Checked,
  projectId: string,
  input: Record<string, unknown>,
): Promise<WireInvitation> {
  if (checked.status !== 201) failWith(sent, `expected 201, got ${checked.status}`);
  const inv = (checked.body as { invitation: WireInvitation }).invitation;
  const expectEq = (what: string, actual: unknown, expected: unknown) => {
    if (!Object.is(actual, expected)) {
      failWith(sent, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  };
  expectEq("clientName", inv.clientName, input.clientName ?? null);
  expectEq("clientEmail", inv.clientEmail, input.clientEmail ?? null);
  expectEq("clientPhone", inv.clientPhone, input.clientPhone ?? null);
  expectEq("phoneNumberId", inv.phoneNumberId, input.phoneNumberId ?? null);
  expectEq("connectionType", inv.connectionType, input.connectionType ?? "whatsapp_waba");
  expectEq("status", inv.status, "pending");
  for (const f of [
    "senderId",
    "connectedAccount",
    "failureReason",
    "onboardingStep",
    "viewedAt",
    "startedAt",
    "completedAt",
    "failedAt",
  ]) {
    expectEq(f, inv[f], null);
  }
  if (!TOKEN.test(inv.token)) failWith(sent, `token is not 256 bits of base64url: ${inv.token}`);
  expectEq("url", inv.url, `${BASE}/invite/${inv.token}`);
  const created = ms(inv.createdAt);
  expectEq("updatedAt", ms(inv.updatedAt), created);
  expectEq(
    "expiresAt - createdAt",
    ms(inv.expiresAt) - created,
    ((input.expiresInDays as number) ?? 7) * DAY_MS,
  );
  if (!(created >= sent.startedAt - 5 && created <= sent.endedAt + 5)) {
    failWith(sent, `createdAt ${inv.createdAt} is not the time of the request`);
  }

  const row = await invitationRow(inv.id);
  if (!row) failWith(sent, `no stored row for ${inv.id}`);
  expectEq("row.project_id", row.project_id, projectId);
  expectEq("row.client_name", row.client_name, inv.clientName);
  expectEq("row.client_email", row.client_email, inv.clientEmail);
  expectEq("row.client_phone", row.client_phone, inv.clientPhone);
  expectEq("row.phone_number_id", row.phone_number_id, inv.phoneNumberId);
  expectEq("row.connection_type", row.connection_type, inv.connectionType);
  expectEq("row.status", row.status, inv.status);
  expectEq("row.expires_at", row.expires_at, ms(inv.expiresAt));
  expectEq("row.created_at", row.created_at, ms(inv.createdAt));
  expectEq("row.updated_at", row.updated_at, ms(inv.updatedAt));
  const countries = input.allowedPhoneCountries as string[] | undefined;
  expectEq(
    "row.allowed_phone_countries",
    row.allowed_phone_countries,
    countries === undefined ? null : JSON.stringify(countries.map((c) => c.toUpperCase())),
  );
  if (row.token_hash.includes(inv.token) || row.token_ciphertext.includes(inv.token)) {
    failWith(sent, "token stored in plaintext");
  }
  expectEq(
    "decrypted token_ciphertext",
    await decryptSecret(env.ENCRYPTION_KEYS, row.token_ciphertext, "invitations.token_ciphertext"),
    inv.token,
  );
  return inv;
}
