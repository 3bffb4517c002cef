import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { options, PROPERTY_TIMEOUT, RUNS } from "./support/fuzz";
import { bearer, send } from "./support/http";
import { checkResponse, type ErrorBody, pathnameOf } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: Unknown paths and methods.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
