import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { checkInvalid, DAY_MS } from "./support/create-oracle";
import { setExpiresAt, setStatus } from "./support/db";
import { effectiveStatus, options, PROPERTY_TIMEOUT, RUNS } from "./support/fuzz";
import {
  bearer,
  setupInvitation as createInvitation,
  dispatch,
  type ProofRequest,
  send,
} from "./support/http";
import { checkResponse, failWith } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: GET /v1/invitations query strings.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
