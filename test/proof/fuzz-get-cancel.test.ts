import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { JSON_TYPES, NOT_JSON_TYPES } from "./support/create-judge";
import { MAX_BODY_BYTES } from "./support/create-oracle";
import { eventsOf, invitationRow, setExpiresAt, setStatus } from "./support/db";
import { effectiveStatus, invitationOf, OPEN, options, PROPERTY_TIMEOUT, RUNS } from "./support/fuzz";
import {
  bearer,
  setupInvitation as createInvitation,
  dispatch,
  type ProofRequest,
  send,
} from "./support/http";
import { checkResponse, expectErrorBody, pathnameOf } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: GET /v1/invitations/{id} and POST /v1/invitations/{id}/cancel.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
