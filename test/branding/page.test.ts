import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLACK, contrastRatio, relativeLuminance, textOn, WHITE } from "../../src/branding/contrast";
import { pageCaller, pageHtml, setState } from "../invite/support";
import { testKeyFor } from "../onboarding/support";
import { createInvitation, createProject } from "../support/api";
import { PNG, putBranding, putLogo, sha256Hex } from "./support";

const page = pageCaller();

async function html(token: string, language = "en") {
  const res = await page(`/invite/${token}`, pageHtml(language));
  return { res, text: await res.text() };
}

describe("WCAG contrast of the action's text", () => {
  it("computes the W3C's relative luminance and ratios exactly at the ends", () => {
    expect(relativeLuminance("#000000")).toBe(0);
    expect(relativeLuminance("#FFFFFF")).toBe(1);
    expect(contrastRatio(BLACK, WHITE)).toBe(21);
    expect(contrastRatio("#777777", "#777777")).toBe(1);
    // #767676 on white is the classic 4.54:1.
    expect(contrastRatio("#767676", WHITE)).toBeCloseTo(4.54, 2);
  });

  it("picks black on a pale accent and white on a dark one", () => {
    expect(textOn("#FFEE00")).toBe(BLACK);
    expect(textOn("#202020")).toBe(WHITE);
    expect(textOn("#0B57D0")).toBe(WHITE);
    expect(textOn("#FFFFFF")).toBe(BLACK);
  });

  it("whatever the accent, the chosen text has at least 4.5:1 (every grey, and 2,000 random colours)", () => {
    for (let v = 0; v < 256; v++) {
      const grey = `#${v.toString(16).padStart(2, "0").repeat(3)}`.toUpperCase();
      expect(contrastRatio(grey, textOn(grey)), grey).toBeGreaterThanOrEqual(4.5);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (n) => {
        const accent = `#${n.toString(16).padStart(6, "0").toUpperCase()}`;
        return contrastRatio(accent, textOn(accent)) >= 4.5;
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("the invite page with the partner's branding", () => {
  it("says '{display name} invites {client}', shows the logo, the accent and its text colour, and the links", async () => {
    const { apiKey } = await createProject("Project Name Ltd");
    await putBranding(apiKey, {
      displayName: "Acme Messaging",
      accentColor: "#ffee00",
      supportEmail: "help@acme.example.com",
      supportUrl: "https://acme.example.com/help",
      privacyPolicyUrl: "https://acme.example.com/privacy",
      termsUrl: "https://acme.example.com/terms",
    });
    await putLogo(apiKey, PNG);
    const inv = await createInvitation(apiKey, { clientName: "Bob's Bikes" });
    const { res, text } = await html(inv.token);
    expect(res.status).toBe(200);
    expect(text).toContain("<h1>Acme Messaging invites Bob&#39;s Bikes to connect WhatsApp Business</h1>");
    expect(text).not.toContain("Project Name Ltd");
    expect(text).toContain(
      `<img class="logo" src="/branding/logos/${await sha256Hex(PNG)}" alt="" width="48" height="48">`,
    );
    expect(text).toMatch(
      /<style nonce="[^"]+">:root\{--accent:#FFEE00;--on-accent:#000000;--accent-border:#000000\}<\/style>/,
    );
    expect(text).toContain('<a href="https://acme.example.com/help" rel="noreferrer">Help</a>');
    expect(text).toContain('<a href="mailto:help@acme.example.com">Contact support</a>');
    expect(text).toContain('<a href="https://acme.example.com/privacy" rel="noreferrer">Privacy policy</a>');
    expect(text).toContain('<a href="https://acme.example.com/terms" rel="noreferrer">Terms</a>');
    // The CSP lets images come from this origin only.
    expect(res.headers.get("Content-Security-Policy")).toContain("img-src 'self'");
  });

  it("a dark accent gets white text; the flow endpoints' views say the display name too", async () => {
    const { apiKey } = await createProject();
    await putBranding(apiKey, { displayName: "Dark Co", accentColor: "#202020" });
    const inv = await createInvitation(apiKey);
    const { text } = await html(inv.token, "es");
    expect(text).toContain("<h1>Dark Co te invita a conectar WhatsApp Business</h1>");
    expect(text).toContain(":root{--accent:#202020;--on-accent:#FFFFFF;--accent-border:#202020}");
    const json = await page(`/invite/${inv.token}`);
    expect(((await json.json()) as { invitation: { partnerName: string } }).invitation.partnerName).toBe(
      "Dark Co",
    );
  });

  it("without branding it names the project as before: no logo, no accent style, no links", async () => {
    const { apiKey } = await createProject("Plain Partner");
    const inv = await createInvitation(apiKey, { clientName: "Acme" });
    const { text } = await html(inv.token);
    expect(text).toContain("<h1>Plain Partner invites Acme to connect WhatsApp Business</h1>");
    expect(text).not.toContain("<img");
    expect(text).not.toContain("<style");
    expect(text).not.toContain('class="links"');
  });

  it("uses the branding of the invitation's own mode (a test-key invitation, the test branding)", async () => {
    const project = await createProject("Mode Partner");
    const testKey = await testKeyFor(project.projectId);
    await putBranding(project.apiKey, { displayName: "Live Brand" });
    await putBranding(testKey, { displayName: "Test Brand" });
    const live = await createInvitation(project.apiKey);
    const test = await createInvitation(testKey);
    expect((await html(live.token)).text).toContain("<h1>Live Brand invites you");
    expect((await html(test.token)).text).toContain("<h1>Test Brand invites you");
    const other = await createProject("Other Partner");
    expect((await html((await createInvitation(other.apiKey)).token)).text).toContain(
      "<h1>Other Partner invites you",
    );
  });

  it("shows the steps with the client at 'Open Meta' while pending", async () => {
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey);
    const { text } = await html(inv.token);
    expect(text).toContain(
      '<ol id="steps" class="steps" aria-label="Steps"><li data-step="open" data-state="current" aria-current="step"><span class="dot" aria-hidden="true">1</span><span class="label">Open Meta</span></li><li data-step="connect" data-state="todo"><span class="dot" aria-hidden="true">2</span><span class="label">Connect your account</span></li><li data-step="done" data-state="todo"><span class="dot" aria-hidden="true">3</span><span class="label">Done</span></li></ol>',
    );
  });
});

describe("the return link on a page loaded after the attempt ended", () => {
  it("failed with a failureRedirectUrl: the back link with invitation_id, status, failure_reason; the retry stays", async () => {
    const { apiKey } = await createProject("Back Partner");
    const inv = await createInvitation(apiKey, { failureRedirectUrl: "https://partner.example.com/failed" });
    await setState(inv.id, { status: "failed", failure_reason: "meta_code_expired" });
    const { text } = await html(inv.token);
    expect(text).toContain(
      `<p class="return"><a id="return-link" class="return-link" href="https://partner.example.com/failed?invitation_id=${inv.id}&amp;status=failed&amp;failure_reason=meta_code_expired" rel="noreferrer">Back to Back Partner</a></p>`,
    );
    expect(text).toContain('<button id="action"');
    expect(text).not.toContain(inv.token);
  });

  it("completed with a successRedirectUrl: 410, a 'Continue' link with the params and the countdown script, no token", async () => {
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey, { successRedirectUrl: "https://partner.example.com/done" });
    await setState(inv.id, { status: "completed" });
    await env.DB.prepare("UPDATE invitations SET sender_id = 'snd_abc' WHERE id = ?").bind(inv.id).run();
    const { res, text } = await html(inv.token, "pt");
    expect(res.status).toBe(410);
    expect(text).toContain(
      `<a id="return-link" class="return-link primary" href="https://partner.example.com/done?invitation_id=${inv.id}&amp;status=completed&amp;sender_id=snd_abc" rel="noreferrer">Continuar</a>`,
    );
    expect(text).toContain('<script src="/invite-assets/return.js" nonce="');
    expect(text).not.toContain(inv.token);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/script-src 'nonce-[^']+'$/);
    expect(csp).not.toContain("connect-src");
  });

  it("completed without one: the plain 410 page, no script", async () => {
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey);
    await setState(inv.id, { status: "completed" });
    const { res, text } = await html(inv.token);
    expect(res.status).toBe(410);
    expect(text).not.toContain("<script");
    expect(res.headers.get("Content-Security-Policy")).not.toContain("script-src");
  });
});
