import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  createFakeMeta,
  FAKE_PAGES,
  FAKE_PHONE_NUMBER_ID,
  FAKE_VERIFICATION_CODE,
  FAKE_WABA_ID,
} from "../../src/meta/fake";
import { STATE_TTL_MS } from "../../src/onboarding/redirect";
import { BASE, createInvitation, createProject } from "../support/api";
import { expectStatus, type Harness, harness, row, type View } from "./support";

const LIVE = { appId: "4242424242", appSecret: "live-app-secret" };
const META_ENV = {
  META_APP_ID: LIVE.appId,
  META_APP_SECRET: LIVE.appSecret,
  META_CONFIG_ID: "777",
  META_MESSENGER_CONFIG_ID: "888",
  META_GRAPH_URL: "https://graph.meta.example",
  META_GRAPH_VERSION: "v21.0",
  META_DIALOG_URL: "https://dialog.meta.example/",
};
const CALLBACK = `${BASE}/invite/callback`;
const IN_APP_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 300.0.0.0";

/** Meta configured; live invitations reach `live` (the fake standing for Meta), dialog included. */
function configured(options: { now?: () => number } = {}) {
  const live = createFakeMeta({ ...LIVE, now: options.now });
  const h = harness({ env: META_ENV, meta: { liveFetch: live.fetch }, now: options.now });
  return { h, live };
}

async function attemptRow(invitationId: string) {
  return env.DB.prepare(
    "SELECT launch, device_class, redirect_state_hash, outcome, failure_step FROM onboarding_attempts WHERE invitation_id = ? ORDER BY started_at DESC LIMIT 1",
  )
    .bind(invitationId)
    .first<{
      launch: string;
      device_class: string | null;
      redirect_state_hash: string | null;
      outcome: string | null;
      failure_step: string | null;
    }>();
}

/** start (as an in-app browser) then redirect: the dialog's URL and the cookie the answer set. */
async function toDialog(h: Harness, token: string, body: unknown = {}) {
  const started = await h.call(`/invite/${token}/start`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "User-Agent": IN_APP_UA,
      // The same browser (its secret, if it started before): a restart.
      ...(h.secrets.has(token) ? { "X-Attempt-Secret": h.secrets.get(token) ?? "" } : {}),
    },
    body: "{}",
  });
  expect(started.status).toBe(200);
  h.secrets.set(token, ((await started.json()) as { attemptSecret: string }).attemptSecret);
  const res = await h.post(token, "redirect", body);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const setCookie = res.headers.get("Set-Cookie") ?? "";
  expect(setCookie).toMatch(
    /^invite_oauth=[A-Za-z0-9_-]{22}; Path=\/invite\/callback; Max-Age=1800; HttpOnly; SameSite=Lax; Secure$/,
  );
  const cookie = setCookie.split(";")[0] ?? "";
  const answer = JSON.parse(text) as View & { dialogUrl: string };
  return { dialog: new URL(answer.dialogUrl), cookie, answer };
}

/** Meta's dialog (the fake): the client finishes, Meta redirects to the callback. */
async function throughMeta(live: ReturnType<typeof createFakeMeta>, dialog: URL): Promise<URL> {
  const res = await live.fetch(new Request(dialog));
  expect(res.status).toBe(302);
  return new URL(res.headers.get("Location") ?? "");
}

function callback(h: Harness, url: URL, cookie: string | null, language = "en") {
  const headers: Record<string, string> = { Accept: "text/html", "Accept-Language": language };
  if (cookie !== null) headers.Cookie = cookie;
  return h.call(`${url.pathname}${url.search}`, { headers });
}

async function expectRefused(res: Response, problem: string) {
  const html = await res.text();
  expect(res.status, html).toBe(400);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("Set-Cookie")).toMatch(/^invite_oauth=; Path=\/invite\/callback; Max-Age=0;/);
  expect(html).toContain(`data-problem="${problem}"`);
  // Never a way back to the link: a stolen state must not reveal the token.
  expect(html).not.toMatch(/\/invite\/[A-Za-z0-9_-]{43}/);
  return html;
}

describe("full-page redirect to Meta's OAuth dialog (WhatsApp)", () => {
  it("in-app browser: dialog URL, callback, exchange with the same redirect_uri, completed, back on the page", async () => {
    const { h, live } = configured();
    const project = await createProject("Redirect partner");
    const inv = await createInvitation(project.apiKey, {
      clientName: "Acme Corp",
      clientEmail: "owner@acme.example",
      clientPhone: "+5511912345678",
    });
    const { dialog, cookie, answer } = await toDialog(h, inv.token);
    expect(answer.invitation.status).toBe("in_progress");

    expect(`${dialog.origin}${dialog.pathname}`).toBe("https://dialog.meta.example/v21.0/dialog/oauth");
    const params = Object.fromEntries(dialog.searchParams);
    expect(Object.keys(params).sort()).toEqual(
      [
        "client_id",
        "config_id",
        "extras",
        "override_default_response_type",
        "redirect_uri",
        "response_type",
        "state",
      ].sort(),
    );
    expect(params).toMatchObject({
      client_id: LIVE.appId,
      config_id: "777",
      response_type: "code",
      override_default_response_type: "true",
      redirect_uri: CALLBACK,
    });
    const extras = JSON.parse(params.extras ?? "") as Record<string, unknown>;
    // The popup's v4 extras and prefill, and the default flow (no phoneNumberType).
    expect(extras).toEqual({
      setup: {
        business: {
          name: "Acme Corp",
          email: "owner@acme.example",
          phone: { code: 55, number: "11912345678" },
        },
      },
      featureType: "",
      sessionInfoVersion: "3",
      version: "v4",
    });
    // The state names the attempt, never the token.
    expect(params.state).not.toContain(inv.token);
    expect(params.state).toMatch(new RegExp(`^v1\\.${inv.id}\\.`));

    const attempt = await attemptRow(inv.id);
    expect(attempt).toMatchObject({ launch: "redirect", device_class: "in_app_browser" });
    expect(attempt?.redirect_state_hash).toMatch(/^[0-9a-f]{64}$/);

    const back = await throughMeta(live, dialog);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get("state")).toBe(params.state);
    const res = await callback(h, back, cookie);
    expect(res.status, await res.clone().text()).toBe(303);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(location.pathname).toBe(`/invite/${inv.token}`);
    expect(location.searchParams.get("landed")).toMatch(/^[0-9a-z]+\.[0-9a-f]{64}$/);
    expect(res.headers.get("Set-Cookie")).toMatch(/^invite_oauth=; Path=\/invite\/callback; Max-Age=0;/);

    // The popup's completion, with the dialog's redirect_uri on the exchange.
    expect(live.calls).toEqual([
      "GET /dialog/oauth",
      "GET /oauth/access_token",
      "GET /debug_token",
      `GET /${FAKE_WABA_ID}/phone_numbers`,
      `GET /${FAKE_WABA_ID}`,
      `POST /${FAKE_WABA_ID}/subscribed_apps`,
      `POST /${FAKE_PHONE_NUMBER_ID}/register`,
    ]);
    const stored = await row(inv.id);
    expect(stored.status).toBe("completed");
    expect(stored.connectedAccountId).toBe(FAKE_PHONE_NUMBER_ID);
    expect(await attemptRow(inv.id)).toMatchObject({
      launch: "redirect",
      outcome: "completed",
      redirect_state_hash: null,
    });

    // The page shows the outcome with the mark; without it the used link is a 410.
    const page = await h.call(`${location.pathname}${location.search}`, { headers: { Accept: "text/html" } });
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain("+14155550100 (Test Business)");
    expect(html).toContain("Connected");
    const plain = await h.call(`/invite/${inv.token}`, { headers: { Accept: "text/html" } });
    expect(plain.status).toBe(410);
    const forgedMark = await h.call(`/invite/${inv.token}?landed=${"z".repeat(8)}.${"0".repeat(64)}`, {
      headers: { Accept: "text/html" },
    });
    expect(forgedMark.status).toBe(410);
  });

  it("an unverified number through the callback parks the attempt on verifying_number; the page shows the number step; verify-code completes", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    live.setDialogScenario("unverified");
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = await throughMeta(live, dialog);
    const res = await callback(h, back, cookie);
    expect(res.status, await res.clone().text()).toBe(303);
    const location = new URL(res.headers.get("Location") ?? "");
    expect(location.pathname).toBe(`/invite/${inv.token}`);
    // Subscribed, not registered: the number waits for its code.
    expect(live.calls).toEqual([
      "GET /dialog/oauth",
      "GET /oauth/access_token",
      "GET /debug_token",
      `GET /${FAKE_WABA_ID}/phone_numbers`,
      `GET /${FAKE_WABA_ID}`,
      `POST /${FAKE_WABA_ID}/subscribed_apps`,
    ]);
    expect(await row(inv.id)).toMatchObject({ status: "in_progress", onboardingStep: "verifying_number" });
    expect(await attemptRow(inv.id)).toMatchObject({
      launch: "redirect",
      outcome: null,
      redirect_state_hash: null,
    });

    // Where the callback sends the browser: the page, in its number step.
    const page = await h.call(`${location.pathname}${location.search}`, { headers: { Accept: "text/html" } });
    const html = await page.text();
    expect(page.status, html).toBe(200);
    const json = /<script type="application\/json" id="invite-data">(.*?)<\/script>/s.exec(html)?.[1] ?? "{}";
    expect(JSON.parse(json)).toMatchObject({
      status: "in_progress",
      numberStep: "verifying_number",
      redirect: { landed: true },
    });

    // The same browser (its attempt secret) finishes the step.
    const sent = await h.ok<View & { problem: unknown }>(inv.token, "request-code", { method: "SMS" });
    expect(sent.problem).toBeNull();
    const done = await h.ok<View & { problem: unknown }>(inv.token, "verify-code", {
      code: FAKE_VERIFICATION_CODE,
    });
    expect(done.problem).toBeNull();
    expect(done.invitation).toMatchObject({
      status: "completed",
      onboardingStep: null,
      connectedAccount: { id: FAKE_PHONE_NUMBER_ID, phoneNumber: "+14155550100" },
    });
    expect(live.count(`POST /${FAKE_PHONE_NUMBER_ID}/register`)).toBe(1);
    expect((await row(inv.id)).status).toBe("completed");
    expect(await attemptRow(inv.id)).toMatchObject({ launch: "redirect", outcome: "completed" });
  });

  it("a replayed state changes nothing and shows a clear page", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = await throughMeta(live, dialog);
    expect((await callback(h, back, cookie)).status).toBe(303);
    const before = await row(inv.id);
    const calls = live.calls.length;

    const html = await expectRefused(await callback(h, back, cookie, "es"), "used");
    expect(html).toContain('lang="es"');
    expect(html).toContain("Este inicio de sesión ya se usó");
    expect(live.calls.length).toBe(calls);
    expect(await row(inv.id)).toEqual(before);
  });

  it("a forged or malformed state is refused before anything is read or written", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = await throughMeta(live, dialog);
    const state = back.searchParams.get("state") ?? "";
    const calls = live.calls.length;
    const attemptBefore = await attemptRow(inv.id);

    // One character of the MAC changed; then the payload changed (another invitation id).
    const lastChar = state.at(-1) === "0" ? "1" : "0";
    const tampered = new URL(back);
    tampered.searchParams.set("state", state.slice(0, -1) + lastChar);
    const html = await expectRefused(await callback(h, tampered, cookie, "pt"), "invalid");
    expect(html).toContain('lang="pt"');
    const otherId = new URL(back);
    otherId.searchParams.set("state", state.replace(inv.id, "inv_000000000000000000000000"));
    await expectRefused(await callback(h, otherId, cookie), "invalid");
    for (const bad of ["", "v1", "x".repeat(300), `${state}.extra`]) {
      const url = new URL(back);
      url.searchParams.set("state", bad);
      await expectRefused(await callback(h, url, cookie), "invalid");
    }
    const none = new URL(back);
    none.searchParams.delete("state");
    await expectRefused(await callback(h, none, cookie), "invalid");

    expect(live.calls.length).toBe(calls);
    expect((await row(inv.id)).status).toBe("in_progress");
    expect(await attemptRow(inv.id)).toEqual(attemptBefore);
    // The genuine state still works afterwards.
    expect((await callback(h, back, cookie)).status).toBe(303);
    expect((await row(inv.id)).status).toBe("completed");
  });

  it("a state from another browser (no or another cookie) changes nothing", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = await throughMeta(live, dialog);
    const calls = live.calls.length;
    await expectRefused(await callback(h, back, null), "otherBrowser");
    await expectRefused(await callback(h, back, "invite_oauth=AAAAAAAAAAAAAAAAAAAAAA"), "otherBrowser");
    expect(live.calls.length).toBe(calls);
    expect((await row(inv.id)).status).toBe("in_progress");
    expect((await callback(h, back, cookie)).status).toBe(303);
  });

  it("an expired state changes nothing", async () => {
    let clock = Date.now();
    const { h, live } = configured({ now: () => clock });
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = await throughMeta(live, dialog);
    const calls = live.calls.length;
    clock += STATE_TTL_MS + 1;
    await expectRefused(await callback(h, back, cookie), "expired");
    expect(live.calls.length).toBe(calls);
    const stored = await row(inv.id);
    expect(stored.status).toBe("in_progress");
    expect((await attemptRow(inv.id))?.redirect_state_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the state of an earlier attempt (or an earlier redirect call) does not act on the current one", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const first = await toDialog(h, inv.token);
    const firstBack = await throughMeta(live, first.dialog);
    // Same browser restarts (its secret): a new attempt.
    const second = await toDialog(h, inv.token);
    const current = await row(inv.id);
    const calls = live.calls.length;
    await expectRefused(await callback(h, firstBack, first.cookie), "stale");
    expect(live.calls.length).toBe(calls);
    expect(await row(inv.id)).toEqual(current);

    // A second redirect call on the same attempt replaces its state: the older one is spent.
    const third = await h.post(inv.token, "redirect", {});
    expect(third.status).toBe(200);
    const thirdCookie = (third.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
    const secondBack = await throughMeta(live, second.dialog);
    await expectRefused(await callback(h, secondBack, second.cookie), "used");
    const thirdBack = await throughMeta(
      live,
      new URL(((await third.json()) as { dialogUrl: string }).dialogUrl),
    );
    expect((await callback(h, thirdBack, thirdCookie)).status).toBe(303);
    expect((await row(inv.id)).status).toBe("completed");
  });

  it("the client declining in Meta's dialog fails the attempt (fb_not_authorized) and lands on the page", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog, cookie } = await toDialog(h, inv.token);
    const back = new URL(CALLBACK);
    back.searchParams.set("error", "access_denied");
    back.searchParams.set("error_reason", "user_denied");
    back.searchParams.set("state", dialog.searchParams.get("state") ?? "");
    const res = await callback(h, back, cookie);
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("Location") ?? "").pathname).toBe(`/invite/${inv.token}`);
    const stored = await row(inv.id);
    expect(stored).toMatchObject({ status: "failed", failureReason: "fb_not_authorized" });
    expect(await attemptRow(inv.id)).toMatchObject({ outcome: "failed", failure_step: "oauth_dialog" });
    expect(live.count("GET /oauth/access_token")).toBe(0);
  });

  it("the dialog's code is exchanged only with its redirect_uri (a popup's complete fails it: 36008)", async () => {
    const live = createFakeMeta(LIVE);
    const dialog = new URL("https://dialog.meta.example/v21.0/dialog/oauth");
    for (const [k, v] of Object.entries({
      client_id: LIVE.appId,
      config_id: "777",
      response_type: "code",
      redirect_uri: CALLBACK,
      state: "s",
    }))
      dialog.searchParams.set(k, v);
    const exchange = (code: string, redirectUri?: string) => {
      const url = new URL("https://graph.meta.example/v21.0/oauth/access_token");
      url.searchParams.set("client_id", LIVE.appId);
      url.searchParams.set("client_secret", LIVE.appSecret);
      url.searchParams.set("code", code);
      if (redirectUri !== undefined) url.searchParams.set("redirect_uri", redirectUri);
      return live.fetch(new Request(url));
    };
    const code1 =
      new URL((await live.fetch(new Request(dialog))).headers.get("Location") ?? "").searchParams.get(
        "code",
      ) ?? "";
    const without = await exchange(code1);
    expect(without.status).toBe(400);
    expect(((await without.json()) as { error: { error_subcode: number } }).error.error_subcode).toBe(36008);
    const other = await exchange(code1, `${BASE}/elsewhere`);
    expect(((await other.json()) as { error: { error_subcode: number } }).error.error_subcode).toBe(36008);
    expect((await exchange(code1, CALLBACK)).status).toBe(200);
    // A popup's code with a redirect_uri is refused too.
    const popup = await exchange("fake.ok.popupcode1", CALLBACK);
    expect(((await popup.json()) as { error: { error_subcode: number } }).error.error_subcode).toBe(36008);
    // The dialog checks what Meta checks.
    const wrongApp = new URL(dialog);
    wrongApp.searchParams.set("client_id", "1");
    expect((await live.fetch(new Request(wrongApp))).status).toBe(400);
    const noConfig = new URL(dialog);
    noConfig.searchParams.delete("config_id");
    expect((await live.fetch(new Request(noConfig))).status).toBe(400);

    // Through the service: the dialog's code sent to the popup's complete fails the attempt.
    const { h, live: meta } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey);
    const { dialog: d } = await toDialog(h, inv.token);
    const code = (await throughMeta(meta, d)).searchParams.get("code");
    const done = await h.ok(inv.token, "complete", { code });
    expect(done.invitation).toMatchObject({ status: "failed", failureReason: "meta_code_invalid" });
  });

  it("refuses a redirect without the attempt's secret, in test mode, or with a number type the invitation does not allow", async () => {
    const { h } = configured();
    const project = await createProject();
    const inv = await createInvitation(project.apiKey, { phoneNumberType: "cloud_api" });
    await h.ok(inv.token, "start", {});
    await expectStatus(await h.post(inv.token, "redirect", {}, { secret: null }), 401, "unauthorized");
    const bad = await expectStatus(
      await h.post(inv.token, "redirect", { phoneNumberType: "business_app" }),
      400,
      "invalid_request",
    );
    expect(bad.details.fields.phoneNumberType).toMatch(/cloud_api/);
    await expectStatus(await h.post(inv.token, "redirect", { other: 1 }), 400, "invalid_request");
    expect((await attemptRow(inv.id))?.redirect_state_hash).toBeNull();

    // Test mode (the default harness: META_APP_ID empty, a local Worker).
    const t = harness();
    const testInv = await createInvitation(project.apiKey);
    await t.ok(testInv.token, "start", {});
    const refused = await expectStatus(await t.post(testInv.token, "redirect", {}), 400, "invalid_state");
    expect(refused.details.reason).toBe("test_mode");
    // Before start: nothing to redirect.
    const fresh = await createInvitation(project.apiKey);
    await expectStatus(await h.post(fresh.token, "redirect", {}), 400, "invalid_state");
  });
});

describe("full-page redirect (Messenger)", () => {
  it("one Page connects in the callback; several are offered on the page (pages without a code)", async () => {
    const { h, live } = configured();
    const project = await createProject();
    const one = await createInvitation(project.apiKey, { connectionType: "messenger" });
    const { dialog, cookie } = await toDialog(h, one.token);
    const params = Object.fromEntries(dialog.searchParams);
    expect(Object.keys(params).sort()).toEqual(
      ["client_id", "config_id", "redirect_uri", "response_type", "state"].sort(),
    );
    expect(params.config_id).toBe("888");
    expect((await callback(h, await throughMeta(live, dialog), cookie)).status).toBe(303);
    expect(await row(one.id)).toMatchObject({ status: "completed", connectedAccountId: FAKE_PAGES[0].id });

    live.setDialogScenario("several_pages");
    const several = await createInvitation(project.apiKey, { connectionType: "messenger" });
    const second = await toDialog(h, several.token);
    expect((await callback(h, await throughMeta(live, second.dialog), second.cookie)).status).toBe(303);
    expect((await row(several.id)).status).toBe("in_progress");
    const listed = await h.ok<{ pages: { id: string; name: string }[] }>(several.token, "pages", {});
    expect(listed.pages).toEqual(FAKE_PAGES.map(({ id, name }) => ({ id, name })));
    const done = await h.ok(several.token, "complete", { pageId: FAKE_PAGES[1].id });
    expect(done.invitation).toMatchObject({ status: "completed" });
    expect(live.count("GET /oauth/access_token")).toBe(4); // exchange + long-lived, twice

    // pages without a code before any exchange: a 400 naming the field.
    const third = await createInvitation(project.apiKey, { connectionType: "messenger" });
    await h.ok(third.token, "start", {});
    const missing = await expectStatus(await h.post(third.token, "pages", {}), 400, "invalid_request");
    expect(missing.details.fields.code).toBeDefined();
  });
});
