import { describe, expect, it } from "vitest";
import { SCALAR_BUNDLE_PATH } from "../../src/assets";
import { call, expectError } from "../support/api";

// The static files are wrangler.toml's [assets]: Cloudflare answers them before the Worker runs
// (test/browser/static-assets.test.ts checks that layer under a real `wrangler dev`). Here, the
// Worker's own side of that: it has no route for any of them (asset-first: a route there would
// never run), so a request that reaches it for one, or for a neighbouring path, is its contract
// 404. The pool's exports.default.fetch calls the Worker itself, not the asset layer.

describe("static files: the Worker's side", () => {
  it("has no route for a static file or its neighbours: the contract's 404, with a request id", async () => {
    for (const path of [
      SCALAR_BUNDLE_PATH,
      "/invite-assets/page.js",
      "/invite-assets/page.css",
      "/invite-assets/other.js",
      "/invite-assets/",
      "/docs/other.js",
      "/public/docs/scalar.js",
      "/_headers",
    ]) {
      const res = await call(path);
      expect(res.headers.get("X-Request-Id"), path).toMatch(/^[0-9a-f-]{36}$/);
      const body = await expectError(res, 404, "not_found");
      expect(body.message, path).toBe(`No route for GET ${path}`);
    }
  });

  it("points the /docs page at the bundle on this origin", async () => {
    const docs = await call("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain(`src="${SCALAR_BUNDLE_PATH}"`);
  });
});
