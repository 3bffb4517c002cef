import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createInvitation, createProject, expectError } from "../support/api";

const browser = { headers: { Accept: "text/html,application/xhtml+xml" } };

describe("GET /invite/:token", () => {
  it("shows an open invitation, records the first view, and keeps the token out of caches and referrers", async () => {
    const { apiKey } = await createProject("Acme Agency");
    const invitation = await createInvitation(apiKey, { clientName: "Globex <script>" });
    const res = await call(new URL(invitation.url as string).pathname, browser);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("Acme Agency invites Globex &lt;script&gt; to connect WhatsApp Business");
    expect(page).not.toContain("<script>");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");

    const after = (await (await call(`/v1/invitations/${invitation.id}`, { apiKey })).json()) as {
      invitation: { viewedAt: string | null; status: string };
    };
    expect(after.invitation.status).toBe("pending");
    expect(after.invitation.viewedAt).not.toBeNull();
    // A second view keeps the first viewedAt.
    await call(`/invite/${invitation.token}`, browser);
    const again = (await (await call(`/v1/invitations/${invitation.id}`, { apiKey })).json()) as typeof after;
    expect(again.invitation.viewedAt).toBe(after.invitation.viewedAt);
  });

  it("no longer works once cancelled (410), and unknown tokens are 404", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    expect((await call(`/v1/invitations/${invitation.id}/cancel`, { method: "POST", apiKey })).status).toBe(
      200,
    );
    const page = await call(`/invite/${invitation.token}`, browser);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain("cancelled");
    const api = await call(`/invite/${invitation.token}`);
    const error = await expectError(api, 410, "gone");
    expect(error.details?.status).toBe("cancelled");

    await expectError(await call(`/invite/${"A".repeat(43)}`), 404, "not_found");
    await expectError(await call("/invite/short"), 404, "not_found");
    expect((await call(`/invite/${"A".repeat(43)}`, browser)).status).toBe(404);
  });

  it("no longer works once expired, even before the sweep persists it", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, invitation.id)
      .run();
    const error = await expectError(await call(`/invite/${invitation.token}`), 410, "gone");
    expect(error.details?.status).toBe("expired");
    const row = await env.DB.prepare("SELECT viewed_at FROM invitations WHERE id = ?")
      .bind(invitation.id)
      .first();
    expect(row?.viewed_at).toBeNull();
  });
});

describe("GET /invite/:token, edge cases", () => {
  it("HEAD is not a view, and the HTML choice ignores the Accept header's case", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const head = await call(`/invite/${invitation.token}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const row = await env.DB.prepare("SELECT viewed_at FROM invitations WHERE id = ?")
      .bind(invitation.id)
      .first();
    expect(row?.viewed_at).toBeNull();
    const page = await call(`/invite/${invitation.token}`, { headers: { Accept: "TEXT/HTML" } });
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
  });
});
