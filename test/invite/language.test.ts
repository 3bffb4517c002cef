import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAILURE_REASONS } from "../../src/invitations/lifecycle";
import { chooseLanguage, LANGUAGES } from "../../src/invite/language";
import { en } from "../../src/invite/messages/en";
import { addPhoneNumber, createInvitation, createProject } from "../support/api";
import { pageCaller, pageData, pageHtml } from "./support";

const app = pageCaller();

describe("chooseLanguage (Accept-Language)", () => {
  it.each([
    [undefined, "en"],
    ["", "en"],
    ["es", "es"],
    ["es-MX,es;q=0.9", "es"],
    ["pt-BR", "pt"],
    ["PT-br", "pt"],
    ["fr-FR, fr;q=0.9, es;q=0.1", "es"],
    ["en;q=0.5, pt;q=0.8", "pt"],
    ["es;q=0.8, pt;q=0.8", "es"],
    ["pt;q=0.8, es;q=0.8", "pt"],
    ["es;q=0, pt;q=0.1", "pt"],
    ["es;q=0", "en"],
    ["de, *;q=0.5", "en"],
    ["fr", "en"],
    ["es;q=abc, pt;q=0.2", "pt"],
    ["es;q=1.5", "en"],
    ["zh-Hant-TW;q=0.9, pt-PT;q=0.95", "pt"],
    [";;;,,,", "en"],
  ] as const)("%j -> %s", (header, language) => {
    expect(chooseLanguage(header)).toBe(language);
  });
});

describe("message tables", () => {
  it("every language has every string, non-empty, and a sentence for every failure reason", () => {
    const shape = (table: Record<string, Record<string, string>>) =>
      Object.fromEntries(
        Object.entries(table).map(([section, strings]) => [section, Object.keys(strings).sort()]),
      );
    for (const [language, table] of Object.entries(LANGUAGES)) {
      expect(shape(table), language).toEqual(shape(en));
      for (const strings of Object.values(table)) {
        for (const text of Object.values(strings)) expect(text.trim().length, language).toBeGreaterThan(0);
      }
      expect(Object.keys(table.reasons).sort(), language).toEqual([...FAILURE_REASONS].sort());
      // Placeholders are the same as English's, so the same values fill them.
      for (const [section, strings] of Object.entries(table)) {
        for (const [key, text] of Object.entries(strings)) {
          const english = (en as unknown as Record<string, Record<string, string>>)[section]?.[key] ?? "";
          const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
          expect(placeholders(text), `${language}.${section}.${key}`).toEqual(placeholders(english));
        }
      }
    }
  });

  it("the test-mode buttons keep their exact English names in every language", () => {
    for (const table of Object.values(LANGUAGES)) {
      expect(table.simulate).toEqual({
        success: "Simulate success",
        cancel: "Simulate cancel",
        error: "Simulate error",
        unverified: "Simulate unverified number",
        noNumber: "Simulate no number",
      });
    }
  });
});

describe("the page in English, Spanish and Portuguese", () => {
  const EXPIRES = Date.UTC(2099, 2, 5, 14, 30);

  async function openIn(language: string | undefined, body: Record<string, unknown>) {
    const { apiKey, projectId } = await createProject("Acme Agency");
    const phoneNumberId =
      body.phoneNumberId === true ? await addPhoneNumber(projectId, "+14155550123") : undefined;
    const invitation = await createInvitation(apiKey, {
      ...body,
      ...(phoneNumberId ? { phoneNumberId } : {}),
    });
    await env.DB.prepare("UPDATE invitations SET expires_at = ? WHERE id = ?")
      .bind(EXPIRES, invitation.id)
      .run();
    const res = await app(`/invite/${invitation.token}`, pageHtml(language));
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  }

  it.each([
    [
      "en-US,en;q=0.9",
      "en",
      "Acme Agency invites Globex to connect WhatsApp Business",
      "March 5, 2099",
      "United States and Mexico",
      "Connect WhatsApp",
    ],
    [
      "es-ES,es;q=0.9,en;q=0.5",
      "es",
      "Acme Agency invita a Globex a conectar WhatsApp Business",
      "5 de marzo de 2099",
      "Estados Unidos y México",
      "Conectar WhatsApp",
    ],
    [
      "pt-BR,pt;q=0.9",
      "pt",
      "Acme Agency convida Globex a conectar o WhatsApp Business",
      "5 de março de 2099",
      "Estados Unidos e México",
      "Conectar WhatsApp",
    ],
  ])(
    "%s: lang=%s, who invites whom, the expiry date and the countries in that language",
    async (header, lang, h1, date, countries, action) => {
      const { res, html } = await openIn(header, {
        clientName: "Globex",
        allowedPhoneCountries: ["US", "mx"],
      });
      expect(html).toContain(`<html lang="${lang}">`);
      expect(res.headers.get("Content-Language")).toBe(lang);
      expect(html).toContain(`<h1>${h1}</h1>`);
      expect(html).toContain(date);
      expect(html).toContain(countries);
      expect(html).toMatch(new RegExp(`<button id="action" type="button" disabled>${action}</button>`));
      // The script's strings and the reasons' sentences travel with the page, in its language.
      const data = pageData(html) as { text: Record<string, string>; reasons: Record<string, string> };
      const table = LANGUAGES[lang as keyof typeof LANGUAGES];
      expect(data.text).toEqual({
        ...table.script,
        failedHeading: table.page.failedHeading,
        testReady: table.page.testExplain,
        unavailable: table.page.unavailable,
      });
      expect(data.reasons).toEqual(table.reasons);
    },
  );

  it("names the pre-assigned number, and the Page action for Messenger", async () => {
    const whatsapp = await openIn("es", { phoneNumberId: true });
    expect(whatsapp.html).toContain("El número que hay que conectar: +14155550123.");
    expect(whatsapp.html).toContain("<h1>Acme Agency te invita a conectar WhatsApp Business</h1>");
    const messenger = await openIn("pt", { connectionType: "messenger", clientName: "Globex" });
    expect(messenger.html).toContain(
      "<h1>Acme Agency convida Globex a conectar uma página do Facebook (Messenger)</h1>",
    );
    expect(messenger.html).toContain(">Conectar página do Facebook</button>");
    const english = await openIn(undefined, { connectionType: "messenger" });
    expect(english.html).toContain(">Connect Facebook Page</button>");
    expect(english.html).toContain('<html lang="en">');
  });
});
