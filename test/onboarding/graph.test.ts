import { afterEach, describe, expect, it, vi } from "vitest";
import { GraphError } from "../../src/meta/errors";
import { createFakeMeta, FAKE_PHONE_NUMBER_ID, FAKE_WABA_ID, type FakeMeta } from "../../src/meta/fake";
import { createGraph } from "../../src/meta/graph";
import { createProject } from "../support/api";
import { code, harness, newInvitation, row } from "./support";

function graphOn(fake: FakeMeta, overrides: { appSecret?: string; timeoutMs?: number } = {}) {
  return createGraph({
    fetch: fake.fetch,
    graphUrl: "https://graph.example",
    graphVersion: "v23.0",
    appId: fake.appId,
    appSecret: overrides.appSecret ?? fake.appSecret,
    timeoutMs: overrides.timeoutMs ?? 5_000,
  });
}

async function graphError(promise: Promise<unknown>): Promise<GraphError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GraphError)) throw new Error(`expected a GraphError, got ${String(error)}`);
  return error;
}

describe("the Graph module against the fake of Meta", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a code is exchanged once: the second exchange is meta_code_used (100/36009)", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake);
    const c = fake.issueCode();
    expect(await graph.exchangeCode(c)).toMatch(/^EAA/);
    const error = await graphError(graph.exchangeCode(c));
    expect(error).toMatchObject({
      reason: "meta_code_used",
      code: 100,
      subcode: 36009,
      operation: "exchange_code",
    });
  });

  it("a code older than 30 s is meta_code_expired (100/36007)", async () => {
    let now = Date.now();
    const fake = createFakeMeta({ now: () => now });
    const graph = graphOn(fake);
    const c = fake.issueCode();
    now += 30_001;
    expect(await graphError(graph.exchangeCode(c))).toMatchObject({
      reason: "meta_code_expired",
      subcode: 36007,
    });
  });

  it("an unknown code is meta_code_invalid; a wrong app secret is refused", async () => {
    const fake = createFakeMeta();
    expect(await graphError(graphOn(fake).exchangeCode("not-a-code"))).toMatchObject({
      reason: "meta_code_invalid",
      code: 100,
    });
    const wrong = graphOn(fake, { appSecret: "wrong" });
    expect((await graphError(wrong.exchangeCode(fake.issueCode()))).message).toContain("client secret");
  });

  it("debug_token needs the app token; its granular scopes name the WABA", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake);
    const token = await graph.exchangeCode(fake.issueCode());
    expect(await graph.granularScopes(token)).toContainEqual({
      scope: "whatsapp_business_management",
      targetIds: [FAKE_WABA_ID],
    });
    const wrong = graphOn(fake, { appSecret: "wrong" });
    expect(await graphError(wrong.granularScopes(token))).toMatchObject({
      reason: "meta_token_invalid",
      code: 190,
    });
  });

  it("WABA calls need the business token: another is 190", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake);
    expect(await graphError(graph.phoneNumbers("EAAnot-a-token", FAKE_WABA_ID))).toMatchObject({
      reason: "meta_token_invalid",
      code: 190,
    });
    expect(await graphError(graph.subscribeWaba("EAAnot-a-token", FAKE_WABA_ID))).toMatchObject({
      code: 190,
    });
  });

  it("register: a 6-digit PIN; the 11th register in 72 h is 133016 meta_register_limit", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake);
    const token = await graph.exchangeCode(fake.issueCode());
    expect(await graphError(graph.register(token, FAKE_PHONE_NUMBER_ID, "12345"))).toMatchObject({
      reason: "meta_register_failed",
      code: 100,
    });
    for (let i = 0; i < 10; i++) await graph.register(token, FAKE_PHONE_NUMBER_ID, "123456");
    expect(await graphError(graph.register(token, FAKE_PHONE_NUMBER_ID, "123456"))).toMatchObject({
      reason: "meta_register_limit",
      code: 133016,
    });
  });

  it("Page calls need that Page's token", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake);
    const user = await graph.exchangeCode(fake.issueCode("several_pages"));
    const [first, second] = await graph.pages(await graph.longLivedUserToken(user));
    if (!first || !second) throw new Error("expected two Pages");
    expect(await graphError(graph.subscribePage(first.accessToken, second.id))).toMatchObject({
      reason: "meta_permission_missing",
      code: 210,
    });
    await graph.subscribePage(second.accessToken, second.id);
    expect(fake.pageSubscribedFields(second.id)).toContain("messages");
  });

  it("no answer within the timeout is meta_unavailable, and the call does not wait longer", async () => {
    const fake = createFakeMeta();
    const graph = graphOn(fake, { timeoutMs: 150 });
    const started = Date.now();
    const error = await graphError(graph.exchangeCode(fake.issueCode("timeout")));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ reason: "meta_unavailable" });
    expect(error.message).toContain("within 150 ms");
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("a network failure and a 500 are meta_unavailable", async () => {
    const down = createGraph({
      fetch: () => Promise.reject(new TypeError("fetch failed")),
      graphUrl: "https://graph.example",
      graphVersion: "v23.0",
      appId: "1",
      appSecret: "s",
      timeoutMs: 1_000,
    });
    expect(await graphError(down.exchangeCode("x"))).toMatchObject({ reason: "meta_unavailable" });
    const fake = createFakeMeta();
    expect(await graphError(graphOn(fake).exchangeCode(fake.issueCode("unavailable")))).toMatchObject({
      reason: "meta_unavailable",
      code: 2,
    });
  });

  it("no log line holds a token, the code, the app secret or a PIN", async () => {
    const lines: string[] = [];
    for (const method of ["log", "warn", "error", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const h = harness();
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const theCode = code();
    await h.ok(inv.token, "complete", { code: theCode });
    // Another Meta, where the number is not registered yet: register is called, and refused.
    const other = harness();
    const failing = await newInvitation(project.apiKey);
    await other.ok(failing.token, "start", {});
    await other.ok(failing.token, "complete", { code: code("register_limit") });
    const pin = h.fake.registeredPin(FAKE_PHONE_NUMBER_ID) ?? "";
    expect(lines.some((l) => l.includes('"event":"graph"'))).toBe(true);
    expect(lines.some((l) => l.includes('"code":133016'))).toBe(true);
    const all = lines.join("\n");
    for (const secret of ["EAAFake", theCode, h.fake.appSecret, inv.token, `"${pin}"`]) {
      expect(all).not.toContain(secret);
    }
    expect((await row(inv.id)).status).toBe("completed");
  });
});

describe("each Graph error path ends the attempt as a documented failure (through complete)", () => {
  const CASES: [string, string][] = [
    ["used_code", "meta_code_used"],
    ["expired_code", "meta_code_expired"],
    ["no_waba_permission", "meta_permission_missing"],
    ["token_invalid", "meta_token_invalid"],
    ["rate_limited", "meta_rate_limited"],
    ["register_limit", "meta_register_limit"],
    ["register_error", "meta_register_failed"],
    ["unavailable", "meta_unavailable"],
    ["timeout", "meta_unavailable"],
  ];
  for (const [scenario, reason] of CASES) {
    it(`${scenario}: 200 failed ${reason}, no sender`, async () => {
      const h = harness({ meta: { timeoutMs: 200 } });
      const project = await createProject();
      const inv = await newInvitation(project.apiKey);
      await h.ok(inv.token, "start", {});
      const res = await h.post(inv.token, "complete", { code: code(scenario) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { invitation: { status: string; failureReason: string } };
      expect(body.invitation).toMatchObject({ status: "failed", failureReason: reason });
      const stored = await row(inv.id);
      expect(stored).toMatchObject({ status: "failed", failureReason: reason, senderId: null });
      expect(h.fake.count("GET /oauth/access_token")).toBe(1);
    });
  }
});
