import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { checkCreated, MAX_BODY_BYTES } from "./support/create-oracle";
import { eventsOf, invitationCount } from "./support/db";
import { invitationOf, JSON_HEADER, options, PROPERTY_TIMEOUT, RUNS } from "./support/fuzz";
import {
  bearer,
  setupInvitation as createInvitation,
  type ProofRequest,
  send,
  type Transport,
} from "./support/http";
import { checkResponse, expectErrorBody, failWith, isPlainObject } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: Authorization and Idempotency-Key on every /v1 route, and the response headers.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
