import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { INVITE_SCRIPT, INVITE_SCRIPT_PATH } from "../../src/invite/script";
import { INVITE_STYLE, INVITE_STYLE_PATH } from "../../src/invite/style";
import { SCALAR_BUNDLE_PATH } from "../../src/static/paths";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";

// The static files are the static Worker's (wrangler.static.toml); this Worker forwards their
// paths through its STATIC binding (src/static/static.route.ts). Here that binding reaches the
// same public/ served by miniflare's asset handling (vitest.config.ts).

describe("static files, through the static Worker", () => {
  it("serves the invite pages' script and stylesheet as generated, typed, with the request's id", async () => {
    for (const [path, text, type] of [
      [INVITE_SCRIPT_PATH, INVITE_SCRIPT, "text/javascript; charset=utf-8"],
      [INVITE_STYLE_PATH, INVITE_STYLE, "text/css; charset=utf-8"],
    ] as const) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type"), path).toBe(type);
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("ETag"), path).toMatch(/^"[0-9a-f]+"$/);
      expect(res.headers.get("X-Request-Id"), path).toMatch(/^[0-9a-f-]{36}$/);
      expect(await res.text(), path).toBe(text);
    }
  });

  it("serves the Scalar bundle for /docs, the page pointing at it", async () => {
    const res = await call(SCALAR_BUNDLE_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    // @scalar/api-reference's standalone build, whole: over a megabyte.
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    const docs = await call("/docs");
    expect(await docs.text()).toContain(`src="${SCALAR_BUNDLE_PATH}"`);
  });

  it("answers a conditional request with 304 and a HEAD with the headers alone", async () => {
    const first = await call(INVITE_SCRIPT_PATH);
    const etag = first.headers.get("ETag") ?? "";
    await first.arrayBuffer();
    const revalidated = await call(INVITE_SCRIPT_PATH, { headers: { "If-None-Match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
    const head = await call(INVITE_STYLE_PATH, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(await head.text()).toBe("");
  });

  it("is not the rate-limited, D1-backed API: no limit headers, no address budget spent", async () => {
    // One request per address per window: the static files must not take it from the page.
    const fetchApp = appWith({ rateLimits: { perAddress: 1 } });
    const headers = { "CF-Connecting-IP": "203.0.113.77" };
    for (let i = 0; i < 5; i++) {
      const res = await fetchApp(INVITE_STYLE_PATH, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
      await res.arrayBuffer();
    }
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const page = await fetchApp(`/invite/${invitation.token}`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get("X-RateLimit-Remaining")).toBe("0");
  });

  it("forwards only its own paths: a neighbour is this Worker's 404, another method a 405", async () => {
    for (const path of [
      "/invite-assets/other.js",
      "/invite-assets/",
      "/docs/other.js",
      "/public/docs/scalar.js",
    ]) {
      await expectError(await call(path), 404, "not_found");
    }
    const post = await call(INVITE_SCRIPT_PATH, { method: "POST", body: "x" });
    await expectError(post, 405, "method_not_allowed");
    expect(post.headers.get("Allow")).toContain("GET");
  });

  it("a file the static Worker lacks is the contract's 404; a static Worker that fails, a 500 Error", async () => {
    const missing = appWith(
      {},
      {
        ...env,
        STATIC: { fetch: async () => new Response("gone", { status: 404 }) } as unknown as Fetcher,
      },
    );
    const body = await expectError(await missing(INVITE_SCRIPT_PATH), 404, "not_found");
    expect(body.message).toBe(`No route for GET ${INVITE_SCRIPT_PATH}`);
    const failing = appWith(
      {},
      {
        ...env,
        STATIC: {
          fetch: async () => {
            throw new Error("service binding unavailable");
          },
        } as unknown as Fetcher,
      },
    );
    await expectError(await failing(INVITE_STYLE_PATH), 500, "internal_error");
  });
});
