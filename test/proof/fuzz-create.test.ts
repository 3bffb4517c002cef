import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { AMBIGUOUS_TYPES, JSON_TYPES, NOT_JSON_TYPES, runCreate } from "./support/create-judge";
import { CREATE_FIELDS, checkCreated, checkInvalid, MAX_BODY_BYTES } from "./support/create-oracle";
import { invitationCount } from "./support/db";
import {
  FIELD_VALUES,
  JSON_HEADER,
  junk,
  newPhoneSetup,
  objectText,
  options,
  PROPERTY_TIMEOUT,
  RUNS,
  resolvePhones,
  structuredBody,
} from "./support/fuzz";
import { bearer, type ProofRequest, send, type Transport } from "./support/http";
import { checkResponse } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: POST /v1/invitations: bodies, content types, lone surrogates, prototype-named keys.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
