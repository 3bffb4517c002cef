import { describe, expect, it } from "vitest";
import { createInvitation, createProject } from "../support/api";
import { cspNonce, LIVE_META, pageCaller, pageData, pageHtml, setState } from "./support";

const testModeApp = pageCaller();
const liveApp = pageCaller(LIVE_META);

const BASE_POLICY = (n: string) =>
  `default-src 'none'; style-src 'nonce-${n}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; img-src 'self'`;

function executableScripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>/g)]
    .map((m) => m[1] ?? "")
    .filter((attributes) => !attributes.includes('type="application/json"'));
}

describe("invite page headers", () => {
  it("test mode: a CSP that names no host, the page's one script and style under a fresh nonce", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey, { clientName: "Acme Corp" });
    const res = await testModeApp(`/invite/${invitation.token}`, pageHtml());
    expect(res.status).toBe(200);
    const csp = res.headers.get("Content-Security-Policy");
    const nonce = cspNonce(csp);
    expect(csp).toBe(`${BASE_POLICY(nonce)}; script-src 'nonce-${nonce}'; connect-src 'self'`);
    expect(
      Object.fromEntries(
        ["Cache-Control", "Referrer-Policy", "X-Robots-Tag", "X-Content-Type-Options", "X-Frame-Options"].map(
          (h) => [h, res.headers.get(h)],
        ),
      ),
    ).toEqual({
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "X-Robots-Tag": "noindex",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
    });
    expect(res.headers.get("Vary")).toContain("Accept-Language");

    const html = await res.text();
    expect(executableScripts(html)).toEqual([` src="/invite-assets/page.js" nonce="${nonce}"`]);
    expect(html).toContain(`<link rel="stylesheet" href="/invite-assets/page.css" nonce="${nonce}">`);
    // Nothing the policy would block: no inline handlers, no style attributes, no other host.
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/https?:\/\//);
    const data = pageData(html);
    expect(data.meta).toBeNull();
    expect(data.test).toEqual({
      code: "fake.ok.",
      unverified: "fake.unverified.",
      noNumber: "fake.no_phone_number.",
      cancel: { reason: "fb_cancelled", step: "PHONE_NUMBER_SETUP" },
      error: { reason: "internal_error", message: "Simulated error" },
    });
  });

  it("a new nonce on every response", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await testModeApp(`/invite/${invitation.token}`, pageHtml());
      const nonce = cspNonce(res.headers.get("Content-Security-Policy"));
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(await res.text()).toContain(`<script src="/invite-assets/page.js" nonce="${nonce}"></script>`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(20);
  });

  it("live (Meta configured, live key): Meta's SDK host for scripts, its frames and connections, nothing else", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey, {
      clientName: "Acme Corp",
      clientEmail: "ops@acme.example",
      clientPhone: "+34612345678",
    });
    const res = await liveApp(`/invite/${invitation.token}`, pageHtml());
    expect(res.status).toBe(200);
    const csp = res.headers.get("Content-Security-Policy");
    const nonce = cspNonce(csp);
    expect(csp).toBe(
      `${BASE_POLICY(nonce)}; script-src 'nonce-${nonce}' https://connect.facebook.net; ` +
        "connect-src 'self' https://www.facebook.com https://web.facebook.com https://graph.facebook.com https://connect.facebook.net; " +
        "frame-src https://www.facebook.com https://web.facebook.com",
    );
    const html = await res.text();
    expect(executableScripts(html)).toEqual([` src="/invite-assets/page.js" nonce="${nonce}"`]);
    // The HTML names the SDK, the app and the WhatsApp configuration: nothing is fetched later.
    expect(pageData(html)).toMatchObject({
      status: "pending",
      channel: "whatsapp",
      test: null,
      meta: {
        sdkUrl: "https://connect.facebook.net/en_US/sdk.js",
        appId: LIVE_META.META_APP_ID,
        version: "v23.0",
        configId: LIVE_META.META_CONFIG_ID,
        // Embedded Signup v4, with the prefill of the business's name, email and phone.
        extras: {
          setup: {
            business: {
              name: "Acme Corp",
              email: "ops@acme.example",
              phone: { code: 34, number: "612345678" },
            },
          },
          featureType: "",
          sessionInfoVersion: "3",
          version: "v4",
        },
      },
    });
  });

  it("the v4 prefill splits the phone by calling code (+1, +7, 3-digit codes) and leaves out what is not known", async () => {
    const { apiKey } = await createProject();
    for (const [phone, expected] of [
      ["+14155550100", { code: 1, number: "4155550100" }],
      ["+351912345678", { code: 351, number: "912345678" }],
      ["+79161234567", { code: 7, number: "9161234567" }],
    ] as const) {
      const invitation = await createInvitation(apiKey, { clientPhone: phone });
      const data = pageData(await (await liveApp(`/invite/${invitation.token}`, pageHtml())).text());
      expect((data.meta as { extras: unknown }).extras).toEqual({
        setup: { business: { phone: expected } },
        featureType: "",
        sessionInfoVersion: "3",
        version: "v4",
      });
    }
    const bare = await createInvitation(apiKey, {});
    const data = pageData(await (await liveApp(`/invite/${bare.token}`, pageHtml())).text());
    expect((data.meta as { extras: unknown }).extras).toEqual({
      setup: {},
      featureType: "",
      sessionInfoVersion: "3",
      version: "v4",
    });
  });

  it("live Messenger uses the Login for Business configuration; the SDK speaks the page's language", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey, { connectionType: "messenger" });
    const data = pageData(await (await liveApp(`/invite/${invitation.token}`, pageHtml("pt-BR"))).text());
    expect(data).toMatchObject({
      channel: "messenger",
      meta: {
        sdkUrl: "https://connect.facebook.net/pt_BR/sdk.js",
        appId: LIVE_META.META_APP_ID,
        configId: LIVE_META.META_MESSENGER_CONFIG_ID,
      },
    });
    expect((data.meta as Record<string, unknown>).extras).toBeUndefined();
    const es = pageData(await (await liveApp(`/invite/${invitation.token}`, pageHtml("es-MX"))).text());
    expect((es.meta as Record<string, unknown>).sdkUrl).toBe("https://connect.facebook.net/es_LA/sdk.js");
  });

  it("a test-key invitation stays in test mode with Meta configured: no Meta host in its CSP or page", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await setState(invitation.id, { status: "pending", mode: "test" });
    const res = await liveApp(`/invite/${invitation.token}`, pageHtml());
    const nonce = cspNonce(res.headers.get("Content-Security-Policy"));
    expect(res.headers.get("Content-Security-Policy")).toBe(
      `${BASE_POLICY(nonce)}; script-src 'nonce-${nonce}'; connect-src 'self'`,
    );
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(pageData(html).meta).toBeNull();
  });

  it("404 and 410 pages run no script at all, and keep the same protections", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    await setState(invitation.id, { status: "cancelled" });
    for (const [path, status] of [
      [`/invite/${invitation.token}`, 410],
      [`/invite/${"A".repeat(43)}`, 404],
      ["/invite/not-a-token", 404],
    ] as const) {
      const res = await liveApp(path, pageHtml());
      expect(res.status).toBe(status);
      const csp = res.headers.get("Content-Security-Policy");
      expect(csp).toBe(BASE_POLICY(cspNonce(csp)));
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      const html = await res.text();
      expect(html).not.toContain("<script");
      expect(html).not.toContain(invitation.token);
    }
  });

  it("a client name cannot break out of the page's data block or markup", async () => {
    const { apiKey } = await createProject("Agency </script><script>alert(1)</script>");
    const hostile = "</script><script>alert(2)</script>\u2028<!--";
    const invitation = await createInvitation(apiKey, { clientName: hostile });
    const html = await (await testModeApp(`/invite/${invitation.token}`, pageHtml())).text();
    expect(html).not.toContain("<script>alert");
    expect(pageData(html).project).toBe("Agency </script><script>alert(1)</script>");
    expect(html).toContain("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
  });
});
