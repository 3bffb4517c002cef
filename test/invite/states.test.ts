import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../src/invite/language";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { escaped, LIVE_META, pageCaller, pageData, pageHtml, setState } from "./support";

const app = pageCaller();
const liveApp = pageCaller(LIVE_META);

async function viewedAt(id: string): Promise<number | null> {
  const row = await env.DB.prepare("SELECT viewed_at FROM invitations WHERE id = ?").bind(id).first();
  return (row?.viewed_at as number | null) ?? null;
}

describe("the page in each state", () => {
  it("pending: the one action, no outcome yet", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey, { clientName: "Globex" });
    const html = await (await app(`/invite/${invitation.token}`, pageHtml())).text();
    expect(html).toContain('<div id="outcome"></div>');
    expect(html).toContain('<button id="action" type="button" disabled>Connect WhatsApp</button>');
    expect(html).toContain('<p id="live" class="sr-only" role="status" aria-live="polite"></p>');
    expect(pageData(html).status).toBe("pending");
  });

  it("in progress (a window lost earlier): says so, and offers the action again", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await setState(invitation.id, { status: "in_progress" });
    const html = await (await app(`/invite/${invitation.token}`, pageHtml("es"))).text();
    expect(html).toContain(`<div id="outcome"><p>${escaped(LANGUAGES.es.page.resume)}</p></div>`);
    expect(html).toContain(">Conectar WhatsApp</button>");
    expect(pageData(html).status).toBe("in_progress");
  });

  it.each(["en", "es", "pt"] as const)(
    "failed (%s): the reason in plain words, then the same action for a retry",
    async (lang) => {
      const { apiKey } = await createProject();
      const invitation = await createInvitation(apiKey);
      const m = LANGUAGES[lang];
      for (const reason of ["phone_number_mismatch", "meta_register_limit", "fb_cancelled"] as const) {
        await setState(invitation.id, { status: "failed", failure_reason: reason });
        const html = await (await app(`/invite/${invitation.token}`, pageHtml(lang))).text();
        expect(html).toContain(
          `<div id="outcome" data-state="failure"><h2 tabindex="-1">${m.page.failedHeading}</h2><p>${escaped(m.reasons[reason])}</p><p>${m.script.retryHint}</p></div>`,
        );
        expect(html).toContain(`>${m.page.actionWhatsapp}</button>`);
      }
    },
  );

  it.each([
    ["cancelled", "es", LANGUAGES.es.gone.cancelled],
    ["expired", "pt", LANGUAGES.pt.gone.expired],
    ["completed", "en", LANGUAGES.en.gone.completed],
  ] as const)(
    "%s: 410 in the page's language (%s), naming neither partner nor client",
    async (status, lang, text) => {
      const { apiKey } = await createProject("Secret Agency");
      const invitation = await createInvitation(apiKey, { clientName: "Secret Client" });
      await setState(invitation.id, { status });
      const res = await app(`/invite/${invitation.token}`, pageHtml(lang));
      expect(res.status).toBe(410);
      const html = await res.text();
      expect(html).toContain(`<html lang="${lang}">`);
      expect(html).toContain(`<h1>${LANGUAGES[lang].gone.heading}</h1><p>${escaped(text)}</p>`);
      expect(html).not.toContain("Secret");
    },
  );

  it("an expired link is 410 before the sweep persists it, and is not marked viewed", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, invitation.id)
      .run();
    const res = await app(`/invite/${invitation.token}`, pageHtml("pt"));
    expect(res.status).toBe(410);
    expect(await res.text()).toContain(LANGUAGES.pt.gone.expired);
    expect(await viewedAt(invitation.id)).toBeNull();
  });

  it("unknown token: 404 page in the page's language", async () => {
    const res = await app(`/invite/${"B".repeat(43)}`, pageHtml("es"));
    expect(res.status).toBe(404);
    expect(await res.text()).toContain(`<h1>${LANGUAGES.es.notFound.heading}</h1>`);
  });
});

describe("viewedAt", () => {
  it("the first GET sets it; HEAD does not; later views keep the first", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const head = await app(`/invite/${invitation.token}`, {
      method: "HEAD",
      headers: { Accept: "text/html" },
    });
    expect(head.status).toBe(200);
    expect(await viewedAt(invitation.id)).toBeNull();

    const before = Date.now();
    await app(`/invite/${invitation.token}`, pageHtml());
    const first = await viewedAt(invitation.id);
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await app(`/invite/${invitation.token}`, pageHtml());
    expect(await viewedAt(invitation.id)).toBe(first);
    const partner = (await (await call(`/v1/invitations/${invitation.id}`, { apiKey })).json()) as {
      invitation: { viewedAt: string; status: string };
    };
    expect(partner.invitation).toMatchObject({
      status: "pending",
      viewedAt: new Date(first ?? 0).toISOString(),
    });
  });

  it("a failed or in-progress invitation is not marked viewed by a reload", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await setState(invitation.id, { status: "failed", failure_reason: "fb_cancelled" });
    await app(`/invite/${invitation.token}`, pageHtml());
    expect(await viewedAt(invitation.id)).toBeNull();
  });
});

describe("the JSON variant (non-browser clients)", () => {
  it("answers the client's view, never a token or partner-only field", async () => {
    const { apiKey } = await createProject("Acme Agency");
    const invitation = await createInvitation(apiKey, {
      clientName: "Globex",
      clientEmail: "ops@globex.example",
      clientPhone: "+14155550000",
      allowedPhoneCountries: ["US"],
    });
    const res = await liveApp(`/invite/${invitation.token}`, { headers: { Accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({
      invitation: {
        id: invitation.id,
        status: "pending",
        connectionType: "whatsapp_waba",
        clientName: "Globex",
        partnerName: "Acme Agency",
        expiresAt: invitation.expiresAt,
        allowedPhoneCountries: ["US"],
        assignedPhoneNumber: null,
        connectedAccount: null,
        failureReason: null,
        testMode: false,
        onboardingStep: null,
        returnUrl: null,
      },
    });
    // A JSON GET is a view too.
    expect(await viewedAt(invitation.id)).not.toBeNull();
  });

  it("errors are the contract's Error: 404 for any unknown token, 410 with the status", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await setState(invitation.id, { status: "completed" });
    const gone = await expectError(await app(`/invite/${invitation.token}`), 410, "gone");
    expect(gone.details?.status).toBe("completed");
    await expectError(await app(`/invite/${"C".repeat(43)}`), 404, "not_found");
    await expectError(await app("/invite/%3Cscript%3E"), 404, "not_found");
  });
});
