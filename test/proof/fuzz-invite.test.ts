import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createProject, type TestProject } from "../support/api";
import { invitationRow, setExpiresAt, setStatus } from "./support/db";
import { options, PROPERTY_TIMEOUT, RUNS, text } from "./support/fuzz";
import { bearer, setupInvitation as createInvitation, dispatch, send } from "./support/http";
import { checkResponse, expectErrorBody, failWith, pathnameOf } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: GET /invite/{token}, as JSON and as HTML.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

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
                "onboardingStep",
                "partnerName",
                "returnUrl",
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
            // every "<" escaped, so a name cannot end it) and its nonced script (a static asset). Anything else
            // that looks like markup came from a name.
            const withoutOwnScripts = sent.text
              .replace(/<script type="application\/json" id="invite-data">[^<]*<\/script>/, "")
              .replace(/<script src="\/invite-assets\/page\.js" nonce="[A-Za-z0-9+/=]+"><\/script>/, "");
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
