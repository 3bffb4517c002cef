import fc from "fast-check";
import { afterEach, beforeEach, expect } from "vitest";
import { addPhoneNumber, createProject, type TestProject } from "../../support/api";
import { CREATE_FIELDS, NOT_COUNTRIES, SOME_COUNTRIES } from "./create-oracle";
import { setExpiresAt } from "./db";
import { setupInvitation as createInvitation, stats } from "./http";
import type { Checked } from "./invariants";

/**
 * Property-based fuzzing of every route, through the Worker's real fetch handler, against the
 * real local D1. Every response of every property is held to the universal invariants of
 * support/invariants.ts (no 5xx; every error the contract's `Error` with the status its code
 * maps to; every 2xx valid against the served OpenAPI document); each property adds its own
 * model of what the answer must be. Seeds are random; on failure fast-check prints the seed and
 * the shrunk counterexample (verbose), which `{ seed, path }` replays.
 *
 * Defects these found have a property of their own (lone surrogates in strings; client keys
 * such as "__proto__" or "toString" meeting Object.prototype in details.fields; no rate-limit
 * headers on a 413), so that one bug fails one named test while the broad properties keep
 * guarding everything else. The broad generators draw well-formed Unicode and leave the
 * prototype-named keys to that property; the universal invariants still check the headers.
 *
 * Requests go to the entry module's fetch handler directly (see support/http.ts: through
 * `exports.default.fetch` each call gets slower as a file makes more of them).
 */

// Generators and helpers shared by the fuzz properties (test/proof/fuzz-*.test.ts, one file per
// route or property).

/** Runs per property: each sends at least this many generated requests. */
export const RUNS = {
  structuredCreate: 420,
  arbitraryBodies: 300,
  contentTypes: 240,
  headerSequences: 140,
  listQueries: 240,
  getAndCancel: 240,
  inviteJson: 140,
  inviteHtml: 100,
  unknownRoutes: 200,
  loneSurrogates: 40,
  prototypeKeys: 30,
  responseHeaders: 60,
};
export const MIN_GENERATED_REQUESTS = 2_000;
export const PROPERTY_TIMEOUT = 120_000;

// Each property checks its own request count, so no count depends on which tests ran before.
let expectedRuns = 0;
let sentBefore = 0;
beforeEach(() => {
  expectedRuns = 0;
  sentBefore = stats.generated;
});
afterEach(() => {
  const sent = stats.generated - sentBefore;
  if (expectedRuns > 0)
    expect(sent, "generated requests sent by this property").toBeGreaterThanOrEqual(expectedRuns);
});

/** fast-check options for `numRuns` runs; the test then must send at least that many requests. */
export const options = (numRuns: number) => {
  expectedRuns = numRuns;
  return { numRuns, verbose: 1 as const };
};

export const JSON_HEADER: [string, string] = ["Content-Type", "application/json"];

// ---------------------------------------------------------------------------------------------
// Generators of values

export const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE invitations; --",
  "\u202Eevil",
  "e\u0301",
  "👩‍👩‍👧‍👦",
  "\ufeffbom",
  "\u2028\u2029",
  "%s%n%x",
  "{{7*7}}$\u{7b}7*7}",
  "null",
  "undefined",
  "__proto__",
  "x".repeat(100),
  "é".repeat(100),
  "😀".repeat(50),
  "😀".repeat(51),
  "x".repeat(101),
  "\\",
  '"',
  "\n\r\t",
];

/** Well-formed Unicode strings (lone surrogates have a property of their own). */
export const text = (maxLength: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  );

/** 60 to 70 KB of one character: around the 64 KiB body cap once in a body. */
export const hugeString = fc
  .tuple(fc.integer({ min: 60_000, max: 70_000 }), fc.constantFrom("x", "é", "漢", "😀"))
  .map(([bytes, ch]) => ch.repeat(Math.ceil(bytes / new TextEncoder().encode(ch).byteLength)));

export const deepArray = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -0,
      1,
      -1,
      1.5,
      1e308,
      -1e308,
      2 ** 53 + 1,
      "",
      [],
      {},
      [null],
      { $ne: null },
      { clientName: "x" },
      ["US"],
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 2_000 }).map(deepArray) },
  { weight: 1, arbitrary: hugeString },
);

export const VALID_EMAILS = ["contact@acme.com", "a@b.co", "first.last+tag@sub.example.org", "x_y-z@x-y.io"];
export const INVALID_EMAILS = [
  "",
  "plain",
  "a@",
  "@b.co",
  "a b@c.co",
  "a@b",
  "a@@b.co",
  ".a@b.co",
  "a..b@c.co",
  "a@b.c",
];

export const phoneNumberValue = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom("$fresh", "$missing", "$other", "$held", "$heldExpired") },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: text(30) },
);

export const countryElement = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom(...SOME_COUNTRIES)
      .chain((c) => fc.constantFrom(c, c.toLowerCase(), `${c[0]}${c.slice(1).toLowerCase()}`)),
  },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...NOT_COUNTRIES, "usa", "u", "", 12, null, ["US"]) },
);

export const FIELD_VALUES: Record<(typeof CREATE_FIELDS)[number], fc.Arbitrary<unknown>> = {
  clientName: fc.oneof(
    { weight: 8, arbitrary: text(100) },
    { weight: 1, arbitrary: fc.string({ minLength: 101, maxLength: 300 }) },
    { weight: 1, arbitrary: hugeString },
    { weight: 2, arbitrary: junk },
  ),
  clientEmail: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...VALID_EMAILS) },
    { weight: 2, arbitrary: fc.constantFrom(...INVALID_EMAILS) },
    { weight: 2, arbitrary: fc.emailAddress() },
    { weight: 1, arbitrary: text(30) },
    { weight: 1, arbitrary: junk },
  ),
  clientPhone: fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{1,14}$/))
        .map(([first, rest]) => `+${first}${rest}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "+0123456",
        "+1",
        "14155551234",
        "+1 415 555 1234",
        "+1234567890123456",
        "+١٢٣٤٥٦",
        "+1-415",
        "",
        "++14155551234",
        "+14155551234\n",
      ),
    },
    { weight: 1, arbitrary: text(20) },
    { weight: 1, arbitrary: junk },
  ),
  phoneNumberId: phoneNumberValue,
  expiresInDays: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 30 }) },
    { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 31, -0, 7.5, 1e21, "7", null, true, [7]) },
    { weight: 1, arbitrary: junk },
  ),
  allowedPhoneCountries: fc.oneof(
    { weight: 6, arbitrary: fc.array(countryElement, { maxLength: 6 }) },
    { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 14_000 }).map((n) => Array<string>(n).fill("US")) },
  ),
  connectionType: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom("whatsapp_waba", "messenger") },
    { weight: 1, arbitrary: fc.constantFrom<unknown>("WHATSAPP_WABA", "sms", "Messenger", "", null, 0) },
  ),
};

export const fieldRecord = fc.record(FIELD_VALUES, { requiredKeys: [] });

/** Unknown keys (prototype-named keys have a property of their own). */
export const junkKey = fc.oneof(
  fc.constantFrom(
    "foo",
    "clientname",
    "ClientName",
    "client_name",
    "",
    " clientName",
    "clientName ",
    "expires_in_days",
    "id",
    "status",
    "token",
    "projectId",
  ),
  fc.string({ maxLength: 10 }).filter((k) => !(CREATE_FIELDS as readonly string[]).includes(k)),
);

export const ws = fc.constantFrom("", "", " ", "\n", "\t", "\r\n  ");

/** Object text from entries, keeping duplicates (the server keeps the last, as JSON.parse). */
export function objectText(entries: ReadonlyArray<readonly [string, unknown]>, space: string): string {
  return `{${space}${entries.map(([k, v]) => `${JSON.stringify(k)}${space}:${space}${JSON.stringify(v)}`).join(`,${space}`)}${space}}`;
}

/** A create body made of the real field names (some repeated) plus junk keys. */
export const structuredBody = fc
  .record({
    fields: fieldRecord,
    extra: fc.array(fc.tuple(junkKey, junk), { maxLength: 2 }),
    dups: fc.array(
      fc.constantFrom(...CREATE_FIELDS).chain((k) => FIELD_VALUES[k].map((v) => [k, v] as const)),
      { maxLength: 1 },
    ),
    dupsFirst: fc.boolean(),
    space: ws,
    extraChance: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ fields, extra, dups, dupsFirst, space, extraChance }) => {
    const entries: (readonly [string, unknown])[] = Object.entries(fields);
    if (extraChance < 2) entries.push(...extra);
    if (dupsFirst) entries.unshift(...dups);
    else entries.push(...dups);
    return { entries, space };
  });

// ---------------------------------------------------------------------------------------------
// Phone-number markers, resolved per run into real rows

export interface PhoneSetup {
  project: TestProject;
  otherProjectPhone: string;
}

/** Replaces `$marker` phoneNumberId values by real ids; returns the ids that must be accepted. */
export async function resolvePhones(
  setup: PhoneSetup,
  entries: ReadonlyArray<readonly [string, unknown]>,
): Promise<{ entries: (readonly [string, unknown])[]; valid: Set<string> }> {
  const valid = new Set<string>();
  const resolved: (readonly [string, unknown])[] = [];
  for (const [key, value] of entries) {
    if (key !== "phoneNumberId" || typeof value !== "string" || !value.startsWith("$")) {
      resolved.push([key, value]);
      continue;
    }
    let id: string;
    switch (value) {
      case "$fresh":
        id = await addPhoneNumber(setup.project.projectId);
        valid.add(id);
        break;
      case "$missing":
        id = "pn_doesnotexist000000000000";
        break;
      case "$other":
        id = setup.otherProjectPhone;
        break;
      case "$held": {
        id = await addPhoneNumber(setup.project.projectId);
        await createInvitation(setup.project.apiKey, { phoneNumberId: id });
        break;
      }
      case "$heldExpired": {
        // Held by an invitation whose expiresAt passed and that no sweep has persisted yet:
        // the number is free again.
        id = await addPhoneNumber(setup.project.projectId);
        const holder = await createInvitation(setup.project.apiKey, { phoneNumberId: id });
        await setExpiresAt(holder.id, Date.now() - 1_000);
        valid.add(id);
        break;
      }
      default:
        id = value;
    }
    resolved.push([key, id]);
  }
  // A later duplicate decides (JSON.parse keeps the last): only the final value may be valid.
  const last = [...resolved].reverse().find(([k]) => k === "phoneNumberId")?.[1];
  for (const id of [...valid]) if (id !== last) valid.delete(id);
  return { entries: resolved, valid };
}

export async function newPhoneSetup(): Promise<PhoneSetup> {
  const project = await createProject("Fuzz partner");
  const other = await createProject("Other partner");
  return { project, otherProjectPhone: await addPhoneNumber(other.projectId) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function invitationOf(checked: Checked): {
  id: string;
  status: string;
  token: string;
  [k: string]: unknown;
} {
  return (checked.body as { invitation: { id: string; status: string; token: string } }).invitation;
}

export const OPEN = ["pending", "in_progress", "failed"];

/** The status a reader must see for a row: open and past expiresAt reads as expired. */
export function effectiveStatus(row: { status: string; expires_at: number }, now: number): string {
  return OPEN.includes(row.status) && row.expires_at <= now ? "expired" : row.status;
}

// ---------------------------------------------------------------------------------------------
