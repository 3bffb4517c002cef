import { describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { code, expectStatus, harness, newInvitation, row, testKeyFor } from "./support";

// A deployed Worker (ENVIRONMENT not `local`) whose META_APP_ID is empty: a manual deploy or a
// dashboard edit the deploy script never saw. It must not simulate Meta for a live key.
const DEPLOYED_WITHOUT_META = { ENVIRONMENT: "production", META_APP_ID: "", META_APP_SECRET: "" };

async function page(h: ReturnType<typeof harness>, token: string) {
  const res = await h.call(`/invite/${token}`, { headers: { Accept: "text/html" } });
  return {
    status: res.status,
    html: await res.text(),
    csp: res.headers.get("Content-Security-Policy") ?? "",
  };
}

describe("ENVIRONMENT: a deployed Worker never simulates Meta for a live key", () => {
  it("a live-key invitation: the page shows a clear error and no action or simulate buttons; every flow step refuses", async () => {
    const h = harness({ env: DEPLOYED_WITHOUT_META });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    const shown = await page(h, inv.token);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain(
      '<p class="error" id="unavailable" role="alert">Connecting accounts is not available on this service yet. Please tell the sender of this link.</p>',
    );
    for (const absent of ["data-outcome", "test-panel", 'id="action"', "<script", "Test mode"]) {
      expect(shown.html, absent).not.toContain(absent);
    }
    // No script may run on it at all.
    expect(shown.csp).not.toContain("script-src");

    const before = await row(inv.id);
    const refused = await expectStatus(await h.post(inv.token, "start", {}), 400, "invalid_state");
    expect(refused.details).toMatchObject({ reason: "meta_not_configured" });
    expect(refused.message).toContain("Meta app is not configured");
    for (const [step, body] of [
      ["complete", { code: code() }],
      ["fail", { reason: "fb_cancelled" }],
    ] as const) {
      await expectStatus(await h.post(inv.token, step, body), 400, "invalid_state");
    }
    expect(await row(inv.id)).toEqual(before);
    expect(h.fake.calls).toEqual([]);
  });

  for (const environment of ["staging", "production", ""]) {
    it(`ENVIRONMENT ${JSON.stringify(environment)}: a live-key start is refused`, async () => {
      const h = harness({ env: { ...DEPLOYED_WITHOUT_META, ENVIRONMENT: environment } });
      const project = await createProject();
      const inv = await newInvitation(project.apiKey);
      await expectStatus(await h.post(inv.token, "start", {}), 400, "invalid_state");
      expect((await row(inv.id)).status).toBe("pending");
    });
  }

  it("a test-key invitation on the same Worker still runs in test mode", async () => {
    const h = harness({ env: DEPLOYED_WITHOUT_META });
    const project = await createProject();
    const inv = await newInvitation(await testKeyFor(project.projectId));
    const shown = await page(h, inv.token);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('data-outcome="success"');
    const started = await h.ok(inv.token, "start", {});
    expect(started.invitation).toMatchObject({ status: "in_progress", testMode: true });
    const done = await h.ok(inv.token, "complete", { code: code(), event: "FINISH" });
    expect(done.invitation.status).toBe("completed");
  });

  it("a local Worker (ENVIRONMENT local) without a Meta app simulates every invitation, as before", async () => {
    const h = harness({ env: { ...DEPLOYED_WITHOUT_META, ENVIRONMENT: "local" } });
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    expect((await page(h, inv.token)).html).toContain('data-outcome="success"');
    expect((await h.ok(inv.token, "start", {})).invitation.testMode).toBe(true);
  });
});
