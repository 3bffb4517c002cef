import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPhoneNumber, createProject, type TestProject } from "../support/api";
import { AMBIGUOUS_TYPES, JSON_TYPES, judgeCreate, NOT_JSON_TYPES, runCreate } from "./support/create-judge";
import {
  CREATE_FIELDS,
  checkCreated,
  checkInvalid,
  DAY_MS,
  MAX_BODY_BYTES,
  NOT_COUNTRIES,
  SOME_COUNTRIES,
} from "./support/create-oracle";
import { eventsOf, invitationCount, invitationRow, setExpiresAt, setStatus } from "./support/db";
import {
  bearer,
  setupInvitation as createInvitation,
  dispatch,
  type ProofRequest,
  send,
  stats,
  type Transport,
} from "./support/http";
import {
  type Checked,
  checkResponse,
  type ErrorBody,
  expectErrorBody,
  failWith,
  isPlainObject,
  pathnameOf,
} from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

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

const RUNS = {
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
const MIN_GENERATED_REQUESTS = 2_000;
const PROPERTY_TIMEOUT = 120_000;
const options = (numRuns: number) => ({ numRuns, verbose: 1 as const });

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

afterAll(() => {
  console.info(`[proof/fuzz] generated requests sent: ${stats.generated}`);
});

const JSON_HEADER: [string, string] = ["Content-Type", "application/json"];

// ---------------------------------------------------------------------------------------------
// Generators of values

const NASTY_STRINGS = [
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
const text = (maxLength: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  );

/** 60 to 70 KB of one character: around the 64 KiB body cap once in a body. */
const hugeString = fc
  .tuple(fc.integer({ min: 60_000, max: 70_000 }), fc.constantFrom("x", "é", "漢", "😀"))
  .map(([bytes, ch]) => ch.repeat(Math.ceil(bytes / new TextEncoder().encode(ch).byteLength)));

const deepArray = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const junk: fc.Arbitrary<unknown> = fc.oneof(
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

const VALID_EMAILS = ["contact@acme.com", "a@b.co", "first.last+tag@sub.example.org", "x_y-z@x-y.io"];
const INVALID_EMAILS = [
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

const phoneNumberValue = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom("$fresh", "$missing", "$other", "$held", "$heldExpired") },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: text(30) },
);

const countryElement = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom(...SOME_COUNTRIES)
      .chain((c) => fc.constantFrom(c, c.toLowerCase(), `${c[0]}${c.slice(1).toLowerCase()}`)),
  },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...NOT_COUNTRIES, "usa", "u", "", 12, null, ["US"]) },
);

const FIELD_VALUES: Record<(typeof CREATE_FIELDS)[number], fc.Arbitrary<unknown>> = {
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

const fieldRecord = fc.record(FIELD_VALUES, { requiredKeys: [] });

/** Unknown keys (prototype-named keys have a property of their own). */
const junkKey = fc.oneof(
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

const ws = fc.constantFrom("", "", " ", "\n", "\t", "\r\n  ");

/** Object text from entries, keeping duplicates (the server keeps the last, as JSON.parse). */
function objectText(entries: ReadonlyArray<readonly [string, unknown]>, space: string): string {
  return `{${space}${entries.map(([k, v]) => `${JSON.stringify(k)}${space}:${space}${JSON.stringify(v)}`).join(`,${space}`)}${space}}`;
}

/** A create body made of the real field names (some repeated) plus junk keys. */
const structuredBody = fc
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

interface PhoneSetup {
  project: TestProject;
  otherProjectPhone: string;
}

/** Replaces `$marker` phoneNumberId values by real ids; returns the ids that must be accepted. */
async function resolvePhones(
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

async function newPhoneSetup(): Promise<PhoneSetup> {
  const project = await createProject("Fuzz partner");
  const other = await createProject("Other partner");
  return { project, otherProjectPhone: await addPhoneNumber(other.projectId) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function invitationOf(checked: Checked): { id: string; status: string; token: string; [k: string]: unknown } {
  return (checked.body as { invitation: { id: string; status: string; token: string } }).invitation;
}

const OPEN = ["pending", "in_progress", "failed"];

/** The status a reader must see for a row: open and past expiresAt reads as expired. */
function effectiveStatus(row: { status: string; expires_at: number }, now: number): string {
  return OPEN.includes(row.status) && row.expires_at <= now ? "expired" : row.status;
}

// ---------------------------------------------------------------------------------------------

describe("fuzz: POST /v1/invitations", () => {
  it(
    "bodies built from the real fields (wrong types, huge, unicode, null, nested junk, duplicate keys, unknown keys): the model's outcome, the stored row, the count",
    async () => {
      const setup = await newPhoneSetup();
      const { project } = setup;
      await fc.assert(
        fc.asyncProperty(
          structuredBody,
          fc.constantFrom<Transport>("buffer", "buffer", "buffer", "stream"),
          async (body, transport) => {
            const { entries, valid } = await resolvePhones(setup, body.entries);
            const req: ProofRequest = {
              method: "POST",
              path: "/v1/invitations",
              headers: [bearer(project.apiKey), JSON_HEADER],
              body: objectText(entries, body.space),
              transport,
            };
            await runCreate(api, project.projectId, req, valid);
          },
        ),
        options(RUNS.structuredCreate),
      );
    },
    PROPERTY_TIMEOUT,
  );

  const rawNotJson = fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constantFrom(
      "{",
      "}",
      "{'clientName':'a'}",
      "{clientName:1}",
      "[1,]",
      '{"a":1,}',
      "NaN",
      "undefined",
      '{"clientName":"x"}garbage',
      "{}{}",
      "// comment\n{}",
      "\u0000",
      '{"clientName":"\\x41"}',
      '{"clientName":"\\ud800"',
      "1e999",
      "-",
      "\ufeff\ufeff{}",
      "\u00a0",
      "\u3000{}",
    ),
    // Deep nesting at the top: a recursive parser or validator must not fall over (5xx).
    fc
      .tuple(fc.integer({ min: 1_000, max: 32_000 }), fc.constantFrom("[", '{"a":'))
      .map(([depth, open]) => `${open.repeat(depth)}1${(open === "[" ? "]" : "}").repeat(depth)}`),
  );
  const duplicateKeysText = fc
    .array(
      fc
        .constantFrom(...CREATE_FIELDS, "x")
        .chain((k) =>
          (k === "x" ? junk : FIELD_VALUES[k as (typeof CREATE_FIELDS)[number]]).map((v) => [k, v] as const),
        ),
      { minLength: 1, maxLength: 4 },
    )
    .chain((entries) =>
      fc
        .constantFrom(...CREATE_FIELDS)
        .chain((k) =>
          fc.tuple(FIELD_VALUES[k], junk).map(([a, b]) => objectText([[k, a], ...entries, [k, b]], "")),
        ),
    )
    .map((t) => t.replaceAll('"$', '"x$')); // no phone markers here: ids are plain strings
  const arbitraryBody = fc.oneof(
    { weight: 3, arbitrary: fc.json({ stringUnit: "grapheme" }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.jsonValue({ stringUnit: "binary" }), fc.constantFrom(0, 2, "\t"))
        .map(([v, indent]) => JSON.stringify(v, null, indent)),
    },
    {
      weight: 2,
      arbitrary: fc.anything({ stringUnit: "grapheme", maxDepth: 3 }).map((v) => {
        try {
          return JSON.stringify(v) ?? "undefined";
        } catch {
          return "{}";
        }
      }),
    },
    { weight: 2, arbitrary: fc.object({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: rawNotJson },
    { weight: 3, arbitrary: duplicateKeysText },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "\n\t ", "{}", "[]", "null", "0", '""', "true") },
  );

  it(
    "arbitrary JSON, non-JSON text and duplicate-key text: 201 only for an acceptable object, else the right 4xx",
    async () => {
      const setup = await newPhoneSetup();
      await fc.assert(
        fc.asyncProperty(arbitraryBody, async (body) => {
          const req: ProofRequest = {
            method: "POST",
            path: "/v1/invitations",
            headers: [bearer(setup.project.apiKey), JSON_HEADER],
            body,
          };
          await runCreate(api, setup.project.projectId, req, new Set());
        }),
        options(RUNS.arbitraryBodies),
      );
    },
    PROPERTY_TIMEOUT,
  );

  const paddedValidBody = fc.integer({ min: MAX_BODY_BYTES - 6, max: MAX_BODY_BYTES + 6 }).map((size) => {
    const core = '{"clientName":"padded"}';
    return core + " ".repeat(Math.max(0, size - core.length));
  });
  const utf16 = (s: string) => {
    const bytes = new Uint8Array(s.length * 2 + 2);
    bytes.set([0xff, 0xfe]);
    for (let i = 0; i < s.length; i++) {
      bytes[2 + i * 2] = s.charCodeAt(i) & 0xff;
      bytes[3 + i * 2] = s.charCodeAt(i) >> 8;
    }
    return bytes;
  };
  const anyContentBody = fc.oneof(
    fc.constantFrom<string | Uint8Array | undefined>(
      undefined,
      "",
      "   ",
      "{}",
      '{"clientName":"ct"}',
      '{"clientName":1}',
      "clientName=x",
      "--x\r\nContent-Disposition: form-data; name=clientName\r\n\r\nx\r\n--x--",
      "<a/>",
      "\u00a0",
      utf16('{"clientName":"u16"}'),
      utf16("{}"),
    ),
    structuredBody.map((b) => objectText(b.entries, b.space).replaceAll('"$', '"x$')),
    fc.uint8Array({ maxLength: 200 }),
    paddedValidBody,
  );
  const contentTypeHeader = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...JSON_TYPES),
    fc.constantFrom(...NOT_JSON_TYPES),
    fc.constantFrom(...AMBIGUOUS_TYPES),
  );

  it(
    "odd content types (text/plain, charset=utf-16, vnd.api+json, multipart, none) x bodies x buffered/streamed: JSON read as JSON, the rest 415, the cap exact",
    async () => {
      const setup = await newPhoneSetup();
      await fc.assert(
        fc.asyncProperty(
          contentTypeHeader,
          anyContentBody,
          fc.constantFrom<Transport>("buffer", "stream"),
          async (type, body, transport) => {
            const headers: [string, string][] = [bearer(setup.project.apiKey)];
            if (type !== undefined) headers.push(["Content-Type", type]);
            const req: ProofRequest = { method: "POST", path: "/v1/invitations", headers, body, transport };
            await runCreate(api, setup.project.projectId, req, new Set());
          },
        ),
        options(RUNS.contentTypes),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "lone surrogates in string fields: refused (400 naming the field) or stored and returned unchanged, never altered",
    async () => {
      const { apiKey, projectId } = await createProject();
      const surrogate = fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff");
      const withLone = fc
        .tuple(fc.string({ maxLength: 20 }), surrogate, fc.string({ maxLength: 20 }))
        .map(([a, s, b]) => `${a}${s}${b}`);
      await fc.assert(
        fc.asyncProperty(withLone, async (clientName) => {
          const req: ProofRequest = {
            method: "POST",
            path: "/v1/invitations",
            headers: [bearer(apiKey), JSON_HEADER],
            body: JSON.stringify({ clientName }), // JSON escapes them: \ud800
          };
          const before = await invitationCount(projectId);
          const sent = await send(req);
          const checked = checkResponse(api, sent);
          if (checked.status === 400) {
            checkInvalid(sent, checked, { mustName: ["clientName"], mayName: ["clientName"] });
            expect(await invitationCount(projectId)).toBe(before);
            return;
          }
          await checkCreated(sent, checked, projectId, { clientName });
        }),
        options(RUNS.loneSurrogates),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "prototype-named keys (__proto__, constructor, toString…): 400 naming each of them with a plain message",
    async () => {
      const { apiKey, projectId } = await createProject();
      const key = fc.constantFrom(
        "__proto__",
        "constructor",
        "toString",
        "valueOf",
        "hasOwnProperty",
        "__defineGetter__",
      );
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(key, { minLength: 1, maxLength: 3 }),
          fc.constantFrom<unknown>(1, "x", null, {}, { clientName: "x" }),
          fc.boolean(),
          async (keys, value, withValidField) => {
            const entries: [string, unknown][] = keys.map((k) => [k, value]);
            if (withValidField) entries.unshift(["clientName", "Acme"]);
            const req: ProofRequest = {
              method: "POST",
              path: "/v1/invitations",
              headers: [bearer(apiKey), JSON_HEADER],
              body: objectText(entries, ""),
            };
            await runCreate(api, projectId, req, new Set());
          },
        ),
        options(RUNS.prototypeKeys),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: headers (Authorization, Idempotency-Key) on every /v1 route", () => {
  const BODIES = ["", "{}", '{"clientName":"Acme"}', '{"clientName":1}', "{not json", '{"expiresInDays":3}'];
  const CREATED_BY = new Set(["", "{}", '{"clientName":"Acme"}', '{"expiresInDays":3}']);
  const VALID_IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

  type AuthVariant = { kind: "valid" | "invalid"; header: (keys: Keys) => string[] };
  interface Keys {
    key: string;
    revoked: string;
    otherRevoked: string;
  }
  const flipLast = (k: string) => `${k.slice(0, -1)}${k.endsWith("a") ? "b" : "a"}`;
  const AUTH: AuthVariant[] = [
    { kind: "valid", header: (k) => [`Bearer ${k.key}`] },
    { kind: "valid", header: (k) => [`bearer ${k.key}`] },
    { kind: "valid", header: (k) => [`BEARER ${k.key}`] },
    { kind: "valid", header: (k) => [`Bearer    ${k.key}`] },
    { kind: "valid", header: (k) => [`Bearer ${k.key}   `] },
    { kind: "invalid", header: () => [] },
    { kind: "invalid", header: () => [""] },
    { kind: "invalid", header: () => ["Bearer"] },
    { kind: "invalid", header: () => ["Bearer "] },
    { kind: "invalid", header: (k) => [`Basic ${btoa(`${k.key}:`)}`] },
    { kind: "invalid", header: (k) => [`Token ${k.key}`] },
    { kind: "invalid", header: (k) => [k.key] },
    { kind: "invalid", header: (k) => [`Bearer\t${k.key}`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.key} extra`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.key}0`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.key.slice(0, -1)}`] },
    { kind: "invalid", header: (k) => [`Bearer ${flipLast(k.key)}`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.key.toUpperCase()}`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.key}`, `Bearer ${k.key}`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.revoked}`] },
    { kind: "invalid", header: (k) => [`Bearer ${k.otherRevoked}`] },
    { kind: "invalid", header: () => [`Bearer zv_live_${"A".repeat(48)}`] },
    { kind: "invalid", header: () => [`Bearer zv_test_${"a".repeat(48)}`] },
    { kind: "invalid", header: () => ["Bearer é漢字"] },
    { kind: "invalid", header: () => [`Bearer ${"x".repeat(8_000)}`] },
    { kind: "invalid", header: () => ["Bearer null"] },
  ];
  const IDEMPOTENCY_KEYS: (string | undefined)[] = [
    undefined,
    "k1",
    "k2",
    "K1",
    `long-${"k".repeat(250)}`,
    "~!@#$%^&*()_+{}|:<>?",
    "",
    "   ",
    "a b",
    "a\tb",
    "é",
    "漢字",
    "\u007f",
    "k".repeat(256),
  ];

  it(
    "Authorization variants and Idempotency-Key junk/reuse over create, cancel, list and get: 401s, 400s, exact replays, 422 on reuse, no double effects",
    async () => {
      const revokedOf = async () => {
        const p = await createProject("Revoked");
        await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?")
          .bind(Date.now(), p.keyId)
          .run();
        return p.apiKey;
      };
      const otherRevoked = await revokedOf();
      const step = fc.record({
        auth: fc.nat({ max: AUTH.length - 1 }),
        route: fc.constantFrom("create", "create", "cancel", "cancel", "list", "get"),
        key: fc.nat({ max: IDEMPOTENCY_KEYS.length - 1 }),
        body: fc.nat({ max: BODIES.length - 1 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
          const project = await createProject("Headers");
          const keys: Keys = { key: project.apiKey, revoked: await revokedOf(), otherRevoked };
          const target = await createInvitation(project.apiKey, { clientName: "target" });
          let cancelled = false;
          let expectedCount = 1;
          const seen = new Map<string, { signature: string; status: number; text: string }>();

          for (const s of steps) {
            const auth = AUTH[s.auth] as AuthVariant;
            const rawKey = IDEMPOTENCY_KEYS[s.key];
            const body = BODIES[s.body] as string;
            const headers: [string, string][] = auth.header(keys).map((h) => ["Authorization", h]);
            if (rawKey !== undefined) headers.push(["Idempotency-Key", rawKey]);
            const isPost = s.route === "create" || s.route === "cancel";
            const path =
              s.route === "create" || s.route === "list"
                ? "/v1/invitations"
                : s.route === "get"
                  ? `/v1/invitations/${target.id}`
                  : `/v1/invitations/${target.id}/cancel`;
            const req: ProofRequest = isPost
              ? { method: "POST", path, headers: [...headers, JSON_HEADER], body }
              : { method: "GET", path, headers };
            const sent = await send(req);
            const checked = checkResponse(api, sent);

            if (auth.kind === "invalid") {
              expectErrorBody(sent, checked, 401, "unauthorized");
              if (!sent.res.headers.get("www-authenticate")?.startsWith("Bearer")) {
                failWith(sent, "401 without a Bearer WWW-Authenticate challenge");
              }
              continue;
            }
            if (isPost && rawKey !== undefined) {
              const key = rawKey.replace(/^[ \t]+|[ \t]+$/g, "");
              if (!VALID_IDEMPOTENCY_KEY.test(key)) {
                const error = expectErrorBody(sent, checked, 400, "invalid_request");
                if (!isPlainObject(error.details?.fields) || !("Idempotency-Key" in error.details.fields)) {
                  failWith(sent, "invalid Idempotency-Key not named in details.fields");
                }
                continue;
              }
              // The empty body is "no fields": the same request as "{}".
              const signature = `${path}\n${body.trim() === "" ? "{}" : body}`;
              const first = seen.get(key);
              if (first) {
                if (first.signature !== signature) {
                  expectErrorBody(sent, checked, 422, "idempotency_key_reused");
                } else {
                  if (checked.status !== first.status || sent.text !== first.text) {
                    failWith(sent, `replay differs from the first response ${first.status} ${first.text}`);
                  }
                  if (sent.res.headers.get("idempotent-replayed") !== "true") {
                    failWith(sent, "replay without Idempotent-Replayed: true");
                  }
                }
                continue;
              }
              seen.set(key, { signature, status: checked.status, text: sent.text });
            }
            if (sent.res.headers.get("idempotent-replayed") !== null)
              failWith(sent, "a first request marked replayed");
            if (s.route === "create") {
              if (CREATED_BY.has(body)) {
                const inv = await checkCreated(
                  sent,
                  checked,
                  project.projectId,
                  JSON.parse(body.trim() === "" ? "{}" : body),
                );
                expect(inv.status).toBe("pending");
                expectedCount++;
              } else {
                expectErrorBody(sent, checked, 400, "invalid_request");
              }
            } else if (s.route === "cancel") {
              if (cancelled) {
                const error = expectErrorBody(sent, checked, 400, "invalid_state");
                expect(error.details?.status).toBe("cancelled");
              } else {
                expect(checked.status, sent.text).toBe(200);
                expect(invitationOf(checked).status).toBe("cancelled");
                cancelled = true;
              }
            } else if (s.route === "get") {
              expect(checked.status, sent.text).toBe(200);
              expect(invitationOf(checked).status).toBe(cancelled ? "cancelled" : "pending");
            } else {
              expect(checked.status, sent.text).toBe(200);
              expect((checked.body as { items: unknown[] }).items.length).toBe(expectedCount);
            }
          }
          expect(await invitationCount(project.projectId)).toBe(expectedCount);
          const events = await eventsOf(target.id);
          expect(events.map((e) => `${e.previous_status}>${e.current_status}`)).toEqual(
            cancelled ? ["pending>cancelled"] : [],
          );
        }),
        options(RUNS.headerSequences),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "every response carries X-Request-Id, and every /v1 response X-RateLimit-Limit/Remaining/Reset (also 401, 404, 405 and 413)",
    async () => {
      const { apiKey } = await createProject();
      const target = await createInvitation(apiKey);
      const request = fc.record({
        route: fc.constantFrom(
          "POST /v1/invitations",
          "GET /v1/invitations",
          `GET /v1/invitations/${target.id}`,
          "GET /v1/invitations/inv_missing",
          `POST /v1/invitations/${target.id}/cancel`,
          "PUT /v1/invitations",
          "GET /v1/nothing-here",
        ),
        auth: fc.boolean(),
        size: fc.constantFrom(0, 10, MAX_BODY_BYTES + 1, 70_000),
        transport: fc.constantFrom<Transport>("buffer", "stream"),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ route, auth, size, transport }) => {
          const [method, path] = route.split(" ") as [string, string];
          const headers: [string, string][] = auth ? [bearer(apiKey)] : [];
          const hasBody = method !== "GET" && size > 0;
          if (hasBody) headers.push(JSON_HEADER);
          const sent = await send({
            method,
            path,
            headers,
            body: hasBody ? `{"clientName":"${"x".repeat(Math.max(0, size - 17))}"}` : undefined,
            transport,
          });
          if (!sent.res.headers.get("x-request-id")) failWith(sent, "no X-Request-Id");
          for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
            if (!/^\d+$/.test(sent.res.headers.get(name) ?? ""))
              failWith(sent, `no ${name} on a /v1 response`);
          }
        }),
        options(RUNS.responseHeaders),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: GET /v1/invitations query strings", () => {
  it(
    "junk and repeated status/limit/cursor: 400 naming them, else exactly the page the data implies (filter, order, size, cursor)",
    async () => {
      const list = await createProject("Lister");
      const other = await createProject("Other lister");
      const ids: string[] = [];
      for (let i = 0; i < 14; i++) {
        ids.push((await createInvitation(list.apiKey, { clientName: `n${i}` })).id);
        if (i % 4 === 0) await new Promise((r) => setTimeout(r, 2)); // some equal createdAt, some not
      }
      for (const id of ids.slice(0, 3)) {
        await dispatch({
          method: "POST",
          path: `/v1/invitations/${id}/cancel`,
          headers: [bearer(list.apiKey)],
        });
      }
      for (const id of ids.slice(3, 6)) await setExpiresAt(id, Date.now() - DAY_MS);
      await setStatus(ids[6] as string, "expired");
      await setStatus(ids[7] as string, "in_progress");
      await setStatus(ids[8] as string, "in_progress");
      await setStatus(ids[9] as string, "failed");
      await setStatus(ids[10] as string, "completed");
      for (let i = 0; i < 3; i++) await createInvitation(other.apiKey);

      // Real cursors, with the position (last item of the page) each one stands for.
      const cursors = new Map<string, { createdAt: number; id: string }>();
      const walk = async (
        apiKey: string,
        query: string,
        into?: Map<string, { createdAt: number; id: string }>,
      ) => {
        let cursor: string | null = null;
        const found: string[] = [];
        do {
          const q = `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          const page = await dispatch({
            method: "GET",
            path: `/v1/invitations?${q}`,
            headers: [bearer(apiKey)],
          });
          const body = JSON.parse(page.text) as {
            items: { id: string; createdAt: string }[];
            nextCursor: string | null;
          };
          const last = body.items.at(-1);
          if (body.nextCursor && last) {
            into?.set(body.nextCursor, { createdAt: Date.parse(last.createdAt), id: last.id });
            found.push(body.nextCursor);
          }
          cursor = body.nextCursor;
        } while (cursor);
        return found;
      };
      for (const q of ["limit=1", "limit=2", "limit=3&status=pending", "limit=5"])
        await walk(list.apiKey, q, cursors);
      const otherCursors = await walk(other.apiKey, "limit=1");
      const valid = [...cursors.keys()];
      const first = valid[0] as string;
      const [payload, mac] = first.split(".") as [string, string];
      const tampered = [
        `${payload}.${mac.slice(0, -1)}${mac.endsWith("0") ? "1" : "0"}`,
        `${payload}x.${mac}`,
        payload,
        `${payload}.`,
        `.${mac}`,
        `${first}.${mac}`,
        first.toUpperCase(),
        `${(valid[1] as string).split(".")[0]}.${mac}`,
        `${btoa(JSON.stringify([Date.now(), "inv_x"])).replace(/=+$/, "")}.${mac}`,
        ...otherCursors,
      ];

      const STATUSES = ["pending", "in_progress", "completed", "expired", "cancelled", "failed"];
      const value = {
        status: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...STATUSES) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              "PENDING",
              "",
              "expired ",
              "cancel",
              "null",
              "pending,cancelled",
              "Pending",
            ),
          },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
        ),
        limit: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
          { weight: 2, arbitrary: fc.integer({ min: -10, max: 1_000 }).map(String) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              "",
              "0",
              "101",
              "-1",
              "1.5",
              "1e1",
              "0x10",
              "abc",
              " 5",
              "5 ",
              "٣",
              "00010",
              "9".repeat(400),
              "+5",
              "NaN",
              "Infinity",
              "2",
            ),
          },
          { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
        ),
        cursor: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...valid) },
          { weight: 3, arbitrary: fc.constantFrom("", ...tampered) },
          { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
          { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }) },
          { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 300 }) },
        ),
      };
      type Param = { key: string; value: string; raw?: boolean };
      const param: fc.Arbitrary<Param> = fc.oneof(
        { weight: 3, arbitrary: value.status.map((v) => ({ key: "status", value: v })) },
        { weight: 3, arbitrary: value.limit.map((v) => ({ key: "limit", value: v })) },
        { weight: 3, arbitrary: value.cursor.map((v) => ({ key: "cursor", value: v })) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(
              fc.constantFrom(
                "foo",
                "Status",
                "LIMIT",
                "status[]",
                "cursor[]",
                "page",
                "offset",
                "utm_source",
                "x y",
              ),
              fc.oneof(
                { weight: 9, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
                { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 30_000 }).map((n) => "q".repeat(n)) },
              ),
            )
            .map(([key, v]) => ({ key, value: v })),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Param>(
            { key: "status", value: "pending%", raw: true },
            { key: "limit", value: "%zz", raw: true },
            { key: "limit", value: "+5", raw: true },
            { key: "cursor", value: "%E0%A4%A", raw: true },
            { key: "status", value: "", raw: true },
          ),
        },
      );
      const junkSeparators = fc.constantFrom("", "", "", "&", "&&", "&=", "&=x");

      const rows = await env.DB.prepare(
        "SELECT id, status, expires_at, created_at FROM invitations WHERE project_id = ?",
      )
        .bind(list.projectId)
        .all<{ id: string; status: string; expires_at: number; created_at: number }>();

      await fc.assert(
        fc.asyncProperty(fc.array(param, { maxLength: 5 }), junkSeparators, async (params, extra) => {
          const query =
            params
              .map((p) =>
                p.raw
                  ? `${p.key}${p.value === "" ? "" : `=${p.value}`}`
                  : `${encodeURIComponent(p.key)}=${encodeURIComponent(p.value)}`,
              )
              .join("&") + extra;
          const req: ProofRequest = {
            method: "GET",
            path: `/v1/invitations${query ? `?${query}` : ""}`,
            headers: [bearer(list.apiKey)],
          };
          const sent = await send(req);
          const checked = checkResponse(api, sent);

          const of = (k: string) => params.filter((p) => p.key === k);
          // The schema judges status, limit and the cursor's shape; the cursor's MAC is judged
          // after it, so a bad cursor is only named when nothing else is wrong.
          const schemaBad: string[] = [];
          for (const k of ["status", "limit", "cursor"]) {
            const ps = of(k);
            if (ps.length > 1) schemaBad.push(k);
            const p = ps[0];
            if (ps.length !== 1 || !p) continue;
            if (k === "cursor") {
              if (p.value === "" && !p.raw) schemaBad.push(k);
            } else if (p.raw) {
              schemaBad.push(k); // each raw value is invalid however it is decoded
            } else if (k === "status" && !STATUSES.includes(p.value)) {
              schemaBad.push(k);
            } else if (
              k === "limit" &&
              !(/^\d+$/.test(p.value) && Number(p.value) >= 1 && Number(p.value) <= 100)
            ) {
              schemaBad.push(k);
            }
          }
          const cursorParam = of("cursor").length === 1 ? of("cursor")[0] : undefined;
          const cursorBad =
            cursorParam !== undefined && (cursorParam.raw === true || !cursors.has(cursorParam.value));
          if (schemaBad.length > 0 || cursorBad) {
            const mustName = schemaBad.length > 0 ? schemaBad : ["cursor"];
            checkInvalid(sent, checked, {
              mustName,
              mayName: cursorBad ? [...schemaBad, "cursor"] : schemaBad,
            });
            return;
          }
          if (checked.status !== 200) failWith(sent, "a valid query was refused");
          const status = of("status")[0]?.value;
          const limit = Number(of("limit")[0]?.value ?? 50);
          const after = cursorParam ? cursors.get(cursorParam.value) : undefined;
          const now = sent.startedAt;
          const expected = rows.results
            .filter((r) => status === undefined || effectiveStatus(r, now) === status)
            .filter(
              (r) =>
                after === undefined ||
                r.created_at < after.createdAt ||
                (r.created_at === after.createdAt && r.id < after.id),
            )
            .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
          const page = checked.body as { items: { id: string; status: string }[]; nextCursor: string | null };
          expect(page.items.map((i) => i.id)).toEqual(expected.slice(0, limit).map((r) => r.id));
          for (const item of page.items) {
            const row = expected.find((r) => r.id === item.id);
            expect(item.status).toBe(row && effectiveStatus(row, now));
          }
          expect(page.nextCursor !== null, "nextCursor iff there is more").toBe(expected.length > limit);
        }),
        options(RUNS.listQueries),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: GET /v1/invitations/{id} and POST /v1/invitations/{id}/cancel", () => {
  it(
    "own (every status), other project's and junk ids, with junk cancel bodies: the right 200/400/404/413, one event per cancel, nothing else touched",
    async () => {
      const a = await createProject("Owner");
      const b = await createProject("Stranger");
      const foreign = await createInvitation(b.apiKey, { clientName: "foreign" });
      const done = await createInvitation(a.apiKey);
      await setStatus(done.id, "in_progress");
      await setStatus(done.id, "completed");
      const sample = await createInvitation(a.apiKey);

      type Target =
        | {
            kind: "fresh";
            status: "pending" | "in_progress" | "failed" | "overdue" | "cancelled" | "expired";
          }
        | { kind: "completed" | "foreign" }
        | { kind: "junk"; id: string };
      const junkId = fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.constantFrom(
          sample.id.toUpperCase(),
          `${sample.id}x`,
          sample.id.slice(0, -1),
          ` ${sample.id}`,
          `${sample.id}\u0000`,
          `${sample.id}/`,
          "inv_",
          "%",
          "..",
          "null",
          "' OR '1'='1",
          sample.token,
        ),
        fc.integer({ min: 2_000, max: 12_000 }).map((n) => "i".repeat(n)),
      );
      const target: fc.Arbitrary<Target> = fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .constantFrom("pending", "in_progress", "failed", "overdue", "cancelled", "expired")
            .map((status) => ({ kind: "fresh", status }) as Target),
        },
        { weight: 1, arbitrary: fc.constantFrom<Target>({ kind: "completed" }, { kind: "foreign" }) },
        { weight: 3, arbitrary: junkId.map((id) => ({ kind: "junk", id }) as Target) },
      );
      const cancelBody = fc.oneof(
        fc.constant<{ type?: string; body?: string }>({}),
        fc.record({
          type: fc.constantFrom(...JSON_TYPES, ...NOT_JSON_TYPES, "application/json; charset=utf-16"),
          body: fc.oneof(
            fc.constantFrom("", "{}", '{"reason":"x"}', "not json"),
            fc.string({ maxLength: 50 }),
          ),
        }),
        fc.constant({ type: "application/json", body: `{"pad":"${"x".repeat(MAX_BODY_BYTES)}"}` }),
      );

      const arrange = async (t: Target): Promise<string> => {
        if (t.kind === "junk") return t.id;
        if (t.kind !== "fresh") return t.kind === "foreign" ? foreign.id : done.id;
        const inv = await createInvitation(a.apiKey);
        if (t.status === "in_progress") await setStatus(inv.id, "in_progress");
        if (t.status === "failed") {
          await setStatus(inv.id, "in_progress");
          await setStatus(inv.id, "failed");
        }
        if (t.status === "overdue") await setExpiresAt(inv.id, Date.now() - 1);
        if (t.status === "expired") await setStatus(inv.id, "expired");
        if (t.status === "cancelled") {
          await dispatch({
            method: "POST",
            path: `/v1/invitations/${inv.id}/cancel`,
            headers: [bearer(a.apiKey)],
          });
        }
        return inv.id;
      };

      await fc.assert(
        fc.asyncProperty(target, fc.boolean(), cancelBody, async (t, cancel, cb) => {
          const id = await arrange(t);
          const path = `/v1/invitations/${encodeURIComponent(id)}${cancel ? "/cancel" : ""}`;
          const headers: [string, string][] = [bearer(a.apiKey)];
          if (cancel && cb.type) headers.push(["Content-Type", cb.type]);
          const req: ProofRequest = {
            method: cancel ? "POST" : "GET",
            path,
            headers,
            body: cancel ? cb.body : undefined,
          };
          const owned = t.kind !== "junk" && t.kind !== "foreign";
          const rowBefore = t.kind === "junk" ? null : await invitationRow(id);
          const eventsBefore = t.kind === "junk" ? [] : await eventsOf(id);
          const sent = await send(req);
          const checked = checkResponse(api, sent);

          // The body cap comes before routing, on every /v1 route.
          const tooLarge = cancel && new TextEncoder().encode(cb.body ?? "").byteLength > MAX_BODY_BYTES;
          if (tooLarge) {
            expectErrorBody(sent, checked, 413, "payload_too_large");
            expect(t.kind === "junk" ? null : await invitationRow(id)).toEqual(rowBefore);
            expect(t.kind === "junk" ? [] : await eventsOf(id)).toEqual(eventsBefore);
            return;
          }
          const rawPathOk = pathnameOf(path) === path.split("?")[0];
          if (!rawPathOk || id === "") {
            // The URL parser rewrote the path (dot segments) or the id is empty: another route
            // or none; the universal invariants are all that applies.
            expect([404, 405]).toContain(checked.status);
            return;
          }
          const rowAfter = t.kind === "junk" ? null : await invitationRow(id);
          const eventsAfter = t.kind === "junk" ? [] : await eventsOf(id);
          const unchanged = () => {
            expect(rowAfter).toEqual(rowBefore);
            expect(eventsAfter).toEqual(eventsBefore);
          };
          if (!owned || !rowBefore) {
            expectErrorBody(sent, checked, 404, "not_found");
            unchanged();
            return;
          }
          const effective = effectiveStatus(rowBefore, sent.startedAt);
          if (!cancel) {
            expect(checked.status, sent.text).toBe(200);
            const inv = invitationOf(checked);
            expect(inv.id).toBe(id);
            expect(inv.status).toBe(effective);
            expect(Date.parse(inv.createdAt as string)).toBe(rowBefore.created_at);
            // An invitation that expired by time changed then: at expiresAt.
            const overdueOpen = OPEN.includes(rowBefore.status) && effective === "expired";
            expect(Date.parse(inv.updatedAt as string)).toBe(
              overdueOpen ? Math.max(rowBefore.updated_at, rowBefore.expires_at) : rowBefore.updated_at,
            );
            unchanged();
            return;
          }
          if (OPEN.includes(effective)) {
            expect(checked.status, sent.text).toBe(200);
            expect(invitationOf(checked).status).toBe("cancelled");
            expect(rowAfter?.status).toBe("cancelled");
            expect(eventsAfter.length).toBe(eventsBefore.length + 1);
            const last = eventsAfter.at(-1);
            expect(`${last?.previous_status}>${last?.current_status}`).toBe(`${rowBefore.status}>cancelled`);
          } else {
            const error = expectErrorBody(sent, checked, 400, "invalid_state");
            expect(error.details?.status).toBe(effective);
            unchanged();
          }
        }),
        options(RUNS.getAndCancel),
      );
      // The other project's invitation was never touched.
      expect((await invitationRow(foreign.id))?.status).toBe("pending");
      expect(await eventsOf(foreign.id)).toEqual([]);
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: GET /invite/{token}", () => {
  type InviteTarget =
    | { kind: "open" | "in_progress" | "failed" | "cancelled" | "overdue" | "completed"; clientName: string }
    | { kind: "junk"; token: string };
  const XSS = fc.constantFrom(
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Tom & Jerry's <b>",
    "</h1><h1>pwned",
    "{{x}}",
    "plain",
  );
  const inviteTarget = (sampleToken: string): fc.Arbitrary<InviteTarget> =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            fc.constantFrom("open", "open", "in_progress", "failed", "cancelled", "overdue", "completed"),
            fc.oneof(
              XSS,
              text(60).filter((s) => s.length <= 100),
            ),
          )
          .map(([kind, clientName]) => ({ kind, clientName }) as InviteTarget),
      },
      {
        weight: 3,
        arbitrary: fc
          .oneof(
            fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
            fc.string({ maxLength: 60 }),
            fc.string({ unit: "grapheme", maxLength: 30 }),
            fc.constantFrom(
              sampleToken.toUpperCase(),
              `${sampleToken}x`,
              sampleToken.slice(0, -1),
              `${sampleToken.slice(0, -1)}${sampleToken.endsWith("A") ? "B" : "A"}`,
              `${sampleToken}/`,
              `${sampleToken}=`,
              "%00",
              "..",
              "a".repeat(5_000),
            ),
          )
          .map((token) => ({ kind: "junk", token }) as InviteTarget),
      },
    );

  async function arrangeInvite(project: TestProject, t: InviteTarget) {
    if (t.kind === "junk") return { token: t.token, id: undefined };
    const inv = await createInvitation(project.apiKey, { clientName: t.clientName });
    if (t.kind === "in_progress" || t.kind === "failed") await setStatus(inv.id, "in_progress");
    if (t.kind === "failed") await setStatus(inv.id, "failed");
    if (t.kind === "overdue") await setExpiresAt(inv.id, Date.now() - 1);
    if (t.kind === "completed") {
      await setStatus(inv.id, "in_progress");
      await setStatus(inv.id, "completed");
    }
    if (t.kind === "cancelled") {
      await dispatch({
        method: "POST",
        path: `/v1/invitations/${inv.id}/cancel`,
        headers: [bearer(project.apiKey)],
      });
    }
    return { token: inv.token, id: inv.id };
  }
  const closedStatus = (kind: InviteTarget["kind"]) =>
    kind === "cancelled"
      ? "cancelled"
      : kind === "overdue"
        ? "expired"
        : kind === "completed"
          ? "completed"
          : null;

  it(
    "JSON clients: open links 200 (viewed, no token echoed), closed 410 gone, unknown 404, all as Error bodies",
    async () => {
      const project = await createProject("Partner <b>&</b>");
      const sample = await createInvitation(project.apiKey);
      await fc.assert(
        fc.asyncProperty(
          inviteTarget(sample.token),
          fc.constantFrom<string | undefined>(
            undefined,
            "application/json",
            "*/*",
            "application/json, text/plain",
          ),
          async (t, accept) => {
            const { token, id } = await arrangeInvite(project, t);
            const path = `/invite/${encodeURIComponent(token)}`;
            const sent = await send({ method: "GET", path, headers: accept ? [["Accept", accept]] : [] });
            const checked = checkResponse(api, sent);
            if (t.kind === "junk" || !id) {
              if (pathnameOf(path) !== path) return; // dot segments: another path; invariants only
              expectErrorBody(sent, checked, 404, "not_found");
              return;
            }
            if (sent.text.includes(token)) failWith(sent, "the token is echoed in the response");
            const closed = closedStatus(t.kind);
            if (closed) {
              const error = expectErrorBody(sent, checked, 410, "gone");
              expect(error.details?.status).toBe(closed);
              return;
            }
            expect(checked.status, sent.text).toBe(200);
            expect(sent.res.headers.get("cache-control")).toBe("no-store");
            expect(sent.res.headers.get("referrer-policy")).toBe("no-referrer");
            const body = checked.body as { invitation: Record<string, unknown> };
            expect(Object.keys(body).sort()).toEqual(["invitation"]);
            // The client's view (src/onboarding/client-view.ts): no token, no partner-only field.
            expect(Object.keys(body.invitation).sort()).toEqual(
              [
                "allowedPhoneCountries",
                "assignedPhoneNumber",
                "clientName",
                "connectedAccount",
                "connectionType",
                "expiresAt",
                "failureReason",
                "id",
                "partnerName",
                "status",
                "testMode",
              ].sort(),
            );
            expect(body.invitation.id).toBe(id);
            expect(body.invitation.clientName).toBe(t.clientName);
            expect(body.invitation.partnerName).toBe("Partner <b>&</b>");
            const status = t.kind === "open" ? "pending" : t.kind;
            expect(body.invitation.status).toBe(status);
            const row = await invitationRow(id);
            expect(row?.status, "viewing is no status change").toBe(status);
            if (t.kind === "open") expect(row?.viewed_at, "viewedAt set on first view").not.toBeNull();
            expect(Date.parse(body.invitation.expiresAt as string)).toBe(row?.expires_at);
          },
        ),
        options(RUNS.inviteJson),
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "browsers (Accept: text/html): 200/404/410 HTML pages, no-store, no token echoed, names escaped",
    async () => {
      const project = await createProject("Partner <i>Co</i>");
      const sample = await createInvitation(project.apiKey);
      await fc.assert(
        fc.asyncProperty(
          inviteTarget(sample.token),
          fc.constantFrom(
            "text/html",
            "text/html,application/xhtml+xml,*/*;q=0.8",
            "application/json, text/html",
          ),
          async (t, accept) => {
            const { token, id } = await arrangeInvite(project, t);
            const path = `/invite/${encodeURIComponent(token)}`;
            const sent = await send({ method: "GET", path, headers: [["Accept", accept]] });
            const checked = checkResponse(api, sent, { html: true });
            if (pathnameOf(path) !== path || token === "" || token.includes("/")) return; // not this route
            if (!checked.html) failWith(sent, "a browser got no HTML page");
            expect(sent.res.headers.get("cache-control")).toBe("no-store");
            expect(sent.res.headers.get("referrer-policy")).toBe("no-referrer");
            expect(sent.res.headers.get("x-robots-tag")).toBe("noindex");
            expect(sent.res.headers.get("content-security-policy")).toContain("default-src 'none'");
            if (token.length >= 16 && sent.text.includes(token))
              failWith(sent, "the token is echoed in the page");
            // An open link's page has exactly two scripts of its own: its data block (JSON with
            // every "<" escaped, so a name cannot end it) and its nonced script. Anything else
            // that looks like markup came from a name.
            const withoutOwnScripts = sent.text
              .replace(/<script type="application\/json" id="invite-data">[^<]*<\/script>/, "")
              .replace(/<script nonce="[A-Za-z0-9+/=]+">[\s\S]*?<\/script>/, "");
            if (/<script|<img|<b>|<i>|<\/h1><h1>pwned/i.test(withoutOwnScripts)) {
              failWith(sent, "markup from a name is not escaped");
            }
            const expectedStatus = t.kind === "junk" || !id ? 404 : closedStatus(t.kind) ? 410 : 200;
            expect(checked.status, sent.text.slice(0, 200)).toBe(expectedStatus);
          },
        ),
        options(RUNS.inviteHtml),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: unknown paths and methods", () => {
  it(
    "any method on any path: 404 for unknown paths, 405 with Allow for known paths, 401 first under /v1",
    async () => {
      const { apiKey } = await createProject();
      const ROUTES: { method: string; regex: RegExp }[] = [
        ...api.operations.map((op) => ({ method: op.method, regex: op.regex })),
        { method: "GET", regex: /^\/openapi\.json$/ },
        { method: "GET", regex: /^\/docs$/ },
        { method: "GET", regex: /^\/invite\/[^/]+$/ },
      ];
      const segment = fc.oneof(
        fc.constantFrom(
          "v1",
          "invitations",
          "cancel",
          "invite",
          "x",
          "inv_1",
          "openapi.json",
          "docs",
          "",
          "V1",
          "%00",
          "%2F",
        ),
        fc.string({ unit: "grapheme", maxLength: 12 }).map(encodeURIComponent),
      );
      const path = fc.oneof(
        fc.constantFrom(
          "/",
          "//",
          "/v1",
          "/v1/",
          "/V1/invitations",
          "/v1/invitations",
          "/v1/invitations/",
          "/v1/invitations/x",
          "/v1/invitations/x/cancel",
          "/v1/invitations/x/cancel/extra",
          "/v1/invitations/x/CANCEL",
          "/v2/invitations",
          "/openapi.json",
          "/openapi.json/",
          "/docs",
          "/invite",
          "/invite/",
          "/invite/abc",
          "/v1/%2e%2e/invitations",
          "/favicon.ico",
        ),
        fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join("/")}`),
        fc.integer({ min: 1_000, max: 16_000 }).map((n) => `/${"p".repeat(n)}`),
        fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/v1/${s.join("/")}`),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND"),
          path,
          fc.boolean(),
          async (method, p, auth) => {
            const sent = await send({ method, path: p, headers: auth ? [bearer(apiKey)] : [] });
            const checked = checkResponse(api, sent);
            const pathname = pathnameOf(p);
            const head = method === "HEAD";
            const code = (checked.body as ErrorBody | undefined)?.code;
            if ((pathname === "/v1" || pathname.startsWith("/v1/")) && !auth) {
              expect(checked.status).toBe(401);
              if (!head) expect(code).toBe("unauthorized");
              return;
            }
            const allowed = new Set<string>();
            for (const r of ROUTES) {
              if (r.regex.test(pathname)) {
                allowed.add(r.method);
                if (r.method === "GET") allowed.add("HEAD");
              }
            }
            if (allowed.size === 0) {
              // A trailing slash may be read as the path without it (405) or as unknown (404).
              const trimmed = pathname.replace(/\/+$/, "");
              const lenient = trimmed !== pathname && ROUTES.some((r) => r.regex.test(trimmed));
              expect(lenient ? [404, 405] : [404]).toContain(checked.status);
              if (!head && checked.status === 404) expect(code).toBe("not_found");
              return;
            }
            if (!allowed.has(method)) {
              expect(checked.status).toBe(405);
              const allow = sent.res.headers.get("allow")?.split(/,\s*/).sort();
              expect(allow).toEqual([...allowed].sort());
              if (!head) expect(code).toBe("method_not_allowed");
              return;
            }
            expect(checked.status).not.toBe(405);
          },
        ),
        options(RUNS.unknownRoutes),
      );
    },
    PROPERTY_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------

describe("fuzz: the oracles themselves", () => {
  it("the document validator and the model reject what they must (so a pass means something)", async () => {
    const { apiKey, projectId } = await createProject();
    const inv = await createInvitation(apiKey);
    const create = api.operationOf("POST", "/v1/invitations");
    const list = api.operationOf("GET", "/v1/invitations");
    if (!create || !list) throw new Error("operations missing from the document");
    expect(api.validate(create, 201, { invitation: inv })).toEqual([]);
    const { id: _id, ...withoutId } = inv;
    const broken = [
      { invitation: withoutId },
      { invitation: { ...inv, status: "bogus" } },
      { invitation: { ...inv, createdAt: "yesterday" } },
      { invitation: { ...inv, clientName: 5 } },
      { invitation: { ...inv, undocumented: true } },
      { invitation: inv, extra: 1 },
    ];
    for (const body of broken) expect(api.validate(create, 201, body).length).toBeGreaterThan(0);
    expect(api.validate(create, 418, { invitation: inv }).length).toBeGreaterThan(0);
    expect(api.validate(list, 200, { items: [inv] }).length).toBeGreaterThan(0);
    expect(api.validateComponent("Error", { code: "invalid_request", message: "m" })).toEqual([]);
    expect(api.validateComponent("Error", { code: "teapot", message: "m" }).length).toBeGreaterThan(0);
    expect(
      api.validateComponent("Error", { code: "not_found", message: "m", stack: "x" }).length,
    ).toBeGreaterThan(0);

    expect(
      judgeCreate({ method: "POST", path: "/v1/invitations", headers: [JSON_HEADER], body: "{}" }, new Set())
        .kind,
    ).toBe("created");
    expect(judgeCreate({ method: "POST", path: "/v1/invitations", body: "x" }, new Set())).toEqual({
      kind: "error",
      status: 415,
      code: "unsupported_media_type",
    });
    const bad = judgeCreate(
      { method: "POST", path: "/v1/invitations", headers: [JSON_HEADER], body: '{"clientName":1,"zz":2}' },
      new Set(),
    );
    expect(bad).toEqual({ kind: "invalid", mustName: ["clientName", "zz"], mayName: ["clientName", "zz"] });

    // checkInvalid and checkCreated fail on a wrong answer.
    const wrong = await send({
      method: "POST",
      path: "/v1/invitations",
      headers: [bearer(apiKey), JSON_HEADER],
      body: '{"clientName":"right"}',
    });
    const checked = checkResponse(api, wrong);
    await expect(checkCreated(wrong, checked, projectId, { clientName: "other" })).rejects.toThrow(
      /clientName/,
    );
    expect(() => checkInvalid(wrong, checked, { mustName: ["clientName"], mayName: [] })).toThrow();
  });

  it(`sent at least ${MIN_GENERATED_REQUESTS} generated requests`, () => {
    expect(stats.generated).toBeGreaterThanOrEqual(MIN_GENERATED_REQUESTS);
  });
});
