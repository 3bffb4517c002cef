import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BrowserSession, openBrowser, recordTraffic, TIMEOUTS } from "./browser";
import { axeViolations, watchProblems } from "./support/page-checks";
import { partnerApi } from "./support/partner-api";

// Embedded Signup v4's other ends, in test mode in Chromium: Meta's window (the test panel)
// finishes with a number Meta has not verified, or with none, and the page's own number step
// adds it and verifies it with its code against the Worker's built-in fake of Meta (code 123456).

const POLL = { timeout: TIMEOUTS.action, interval: 50 };
const baseUrl = inject("baseUrl");
const projectName = inject("projectName");
const partner = partnerApi(baseUrl, inject("testApiKey"));

let browser: BrowserSession;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function open(url: string, language: string) {
  const page = await browser.context.newPage();
  await page.setExtraHTTPHeaders({ "Accept-Language": language });
  const traffic = recordTraffic(page);
  const problems = watchProblems(page);
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  return { page, traffic, problems };
}

async function expectAccessible(page: Page, state: string) {
  expect(await axeViolations(page), `axe-core, ${state}`).toEqual([]);
}

async function expectClean(t: Awaited<ReturnType<typeof open>>) {
  await t.traffic.quiet();
  expect(t.traffic.foreign, "requests to hosts other than localhost").toEqual([]);
  expect(t.traffic.failed, "failed requests").toEqual([]);
  expect(t.problems.cspViolations, "CSP violations").toEqual([]);
  expect(t.problems.errors, "errors in the page").toEqual([]);
  expect(t.problems.failedCalls, "the page's calls that failed").toEqual([]);
}

/** The page's words per language (src/invite/messages), for what the tests find by name. */
const WORDS = {
  en: {
    header: "en-US,en;q=0.9",
    action: "Connect WhatsApp",
    addHeading: "Add your WhatsApp number",
    countryCode: "Country code (digits, e.g. 34 for Spain)",
    phone: "Phone number, without the country code",
    name: "Display name (the name people see on WhatsApp)",
    add: "Add number",
    verifyHeading: "Verify your WhatsApp number",
    voice: "Voice call",
    send: "Send code",
    code: "6-digit code",
    verify: "Verify",
    sent: "The code is on its way. Type it below when it arrives.",
    wrong: "That code is not right. Check it and try again.",
    connected: "Connected",
  },
  es: {
    header: "es-ES,es;q=0.9",
    action: "Conectar WhatsApp",
    addHeading: "Añade tu número de WhatsApp",
    countryCode: "Código de país (dígitos, p. ej. 34 para España)",
    phone: "Número de teléfono, sin el código de país",
    name: "Nombre visible (el que la gente ve en WhatsApp)",
    add: "Añadir número",
    verifyHeading: "Verifica tu número de WhatsApp",
    voice: "Llamada de voz",
    send: "Enviar código",
    code: "Código de 6 dígitos",
    verify: "Verificar",
    sent: "El código está en camino. Escríbelo abajo cuando llegue.",
    wrong: "Ese código no es correcto. Revísalo e inténtalo de nuevo.",
    connected: "Conectado",
  },
  pt: {
    header: "pt-BR",
    action: "Conectar WhatsApp",
    addHeading: "Adicione seu número do WhatsApp",
    countryCode: "Código do país (dígitos, ex.: 55 para o Brasil)",
    phone: "Número de telefone, sem o código do país",
    name: "Nome de exibição (o nome que as pessoas veem no WhatsApp)",
    add: "Adicionar número",
    verifyHeading: "Verifique seu número do WhatsApp",
    voice: "Chamada de voz",
    send: "Enviar código",
    code: "Código de 6 dígitos",
    verify: "Verificar",
    sent: "O código está a caminho. Digite-o abaixo quando chegar.",
    wrong: "Esse código não está certo. Confira e tente de novo.",
    connected: "Conectado",
  },
} as const;

/** Opens Meta's stand-in and finishes it with `button`. */
async function simulate(page: Page, words: (typeof WORDS)[keyof typeof WORDS], button: string) {
  const action = page.getByRole("button", { name: words.action });
  await expect.poll(() => action.isEnabled(), POLL).toBe(true);
  await action.click();
  await page.getByRole("button", { name: button, exact: true }).click();
}

/** The verification step: the code by voice, a wrong code, then the right one. */
async function verify(
  page: Page,
  words: (typeof WORDS)[keyof typeof WORDS],
  lang: string,
  afterSent: () => Promise<void> = async () => {},
) {
  const heading = page.locator("#number-heading");
  await heading.filter({ hasText: words.verifyHeading }).waitFor();
  expect(await heading.evaluate((el) => el === document.activeElement)).toBe(true);
  await expectAccessible(page, `verifying_number (${lang})`);
  await page.getByLabel(words.voice).check();
  await page.getByRole("button", { name: words.send, exact: true }).click();
  const code = page.getByLabel(words.code);
  await code.waitFor({ state: "visible" });
  expect(await code.evaluate((el) => el === document.activeElement)).toBe(true);
  expect(await page.locator("#live").textContent()).toBe(words.sent);
  await expectAccessible(page, `code sent (${lang})`);
  await afterSent();
  await code.fill("000000");
  await page.getByRole("button", { name: words.verify, exact: true }).click();
  await page.locator("#number-error").filter({ hasText: words.wrong }).waitFor();
  expect(await page.locator("#live").textContent()).toBe(words.wrong);
  await expectAccessible(page, `wrong code (${lang})`);
  await code.fill("123456");
  await page.getByRole("button", { name: words.verify, exact: true }).click();
  await page.locator("#outcome h2").filter({ hasText: words.connected }).waitFor();
  await expectAccessible(page, `connected after the number step (${lang})`);
}

describe("the number step in Chromium (test mode)", () => {
  it("an unverified number is verified on the page (SMS or voice, a wrong code, 123456), survives a reload, and completes", async () => {
    const words = WORDS.en;
    const invitation = await partner.create({ clientName: "Acme Corp" });
    const t = await open(invitation.url, words.header);
    const { page } = t;
    await simulate(page, words, "Simulate unverified number");
    await page.locator("#number-heading").filter({ hasText: words.verifyHeading }).waitFor();
    expect(await page.locator("#number-step").textContent()).toContain("Test mode: the code is 123456");
    expect(await partner.invitation(invitation.id)).toMatchObject({
      status: "in_progress",
      onboardingStep: "verifying_number",
    });
    // A reload in the step: this tab's attempt goes on where it was.
    await page.reload();
    await verify(page, words, "en", async () => {
      // Another code at once: the page says how long to wait (one code a minute).
      await page.getByRole("button", { name: "Send a new code", exact: true }).click();
      await page.locator("#number-error").filter({ hasText: "A code was just sent." }).waitFor();
      expect(await page.locator("#number-error").textContent()).toMatch(
        /^A code was just sent\. You can ask for a new one in [1-6]?\d seconds\.$/,
      );
      await expectAccessible(page, "code_resend_wait (en)");
    });
    expect(await page.locator("#live").textContent()).toBe(
      `The WhatsApp number +14155550100 (Test Business) is now connected to ${projectName}. You can close this page.`,
    );
    const done = await partner.invitation(invitation.id);
    expect(done).toMatchObject({ status: "completed", onboardingStep: null, failureReason: null });
    expect(done.senderId).toMatch(/^snd_/);
    await expectClean(t);
    await page.close();
  });

  for (const lang of ["en", "es", "pt"] as const) {
    it(`no number (${lang}): the page adds one (country, number, display name), then verifies it, and completes`, async () => {
      const words = WORDS[lang];
      const invitation = await partner.create({ clientName: "Globex" });
      const t = await open(invitation.url, words.header);
      const { page } = t;
      await simulate(page, words, "Simulate no number");
      const heading = page.locator("#number-heading");
      await heading.filter({ hasText: words.addHeading }).waitFor();
      expect(await heading.evaluate((el) => el === document.activeElement)).toBe(true);
      expect((await partner.invitation(invitation.id)).onboardingStep).toBe("adding_number");
      await expectAccessible(page, `adding_number (${lang})`);
      // An empty form is refused on the page, without a call.
      await page.getByRole("button", { name: words.add, exact: true }).click();
      expect(await page.locator("#number-error").textContent()).not.toBe("");
      await expectAccessible(page, `adding_number, form incomplete (${lang})`);
      await page.getByLabel(words.countryCode).fill("34");
      await page.getByLabel(words.phone).fill("612 345 678");
      await page.getByLabel(words.name).fill("Globex Iberia");
      await page.getByRole("button", { name: words.add, exact: true }).click();
      await verify(page, words, lang);
      const done = await partner.invitation(invitation.id);
      expect(done).toMatchObject({
        status: "completed",
        onboardingStep: null,
        connectedAccount: { id: "400034612345678", channel: "whatsapp", name: "Globex Iberia" },
      });
      expect(await partner.sender(done.senderId ?? "")).toMatchObject({ phoneNumber: "+34612345678" });
      await expectClean(t);
      await page.close();
    });
  }
});
