import { describe, expect, inject, it } from "vitest";
import {
  ASSET_CACHE_CONTROL,
  INVITE_PAGE_SOURCES,
  inviteScript,
  inviteStyle,
} from "../../scripts/docs-assets";
import { ASSET_PATHS, SCALAR_BUNDLE_PATH } from "../../src/assets";
import { INVITE_RETURN_SCRIPT_PATH, INVITE_SCRIPT_PATH, INVITE_STYLE_PATH } from "../../src/invite/assets";

// The static files as a client gets them from the real `wrangler dev` of wrangler.toml (global
// setup): its [assets] layer answers them before the Worker runs, with public/_headers applied.
// No X-Request-Id is the proof the Worker was not invoked: it puts one on every response.

const baseUrl = inject("baseUrl");
const get = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);

describe("static files, served by the asset layer", () => {
  it("serves the invite pages' script and stylesheet as generated, typed, nosniff, revalidated", async () => {
    for (const [path, text, type] of [
      [INVITE_SCRIPT_PATH, inviteScript(), "text/javascript"],
      [INVITE_STYLE_PATH, inviteStyle(), "text/css"],
      [
        INVITE_RETURN_SCRIPT_PATH,
        inviteScript(undefined, INVITE_PAGE_SOURCES.returnScript),
        "text/javascript",
      ],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type"), path).toBe(`${type}; charset=utf-8`);
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("Cache-Control"), path).toBe("public, max-age=0, must-revalidate");
      expect(res.headers.get("ETag"), path).toMatch(/^"[0-9a-f]+"$/);
      expect(res.headers.get("X-Request-Id"), path).toBeNull();
      expect(await res.text(), path).toBe(text);
    }
  });

  it("serves the Scalar bundle whole, nosniff, cached for a day, without the Worker", async () => {
    const res = await get(SCALAR_BUNDLE_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=86400");
    expect(res.headers.get("X-Request-Id")).toBeNull();
    // @scalar/api-reference's standalone build, whole: over a megabyte.
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  it("gives every file of ASSET_PATHS a Cache-Control rule, and no other", () => {
    expect(Object.keys(ASSET_CACHE_CONTROL).sort()).toEqual([...ASSET_PATHS].sort());
  });

  it("answers a conditional request with 304 and a HEAD with the headers alone", async () => {
    const first = await get(INVITE_SCRIPT_PATH);
    const etag = first.headers.get("ETag") ?? "";
    await first.arrayBuffer();
    const revalidated = await get(INVITE_SCRIPT_PATH, { headers: { "If-None-Match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
    const head = await get(INVITE_STYLE_PATH, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(head.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(await head.text()).toBe("");
  });

  it("answers another method on a file itself, with a bare 405: the asset layer's, not the Worker's", async () => {
    // Cloudflare's asset layer owns the file's path for every method; only GET and HEAD serve it.
    const res = await get(INVITE_SCRIPT_PATH, { method: "POST", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("X-Request-Id")).toBeNull();
    expect(await res.text()).toBe("");
  });

  it("serves the exact paths only: a neighbour, or _headers itself, is the Worker's contract 404", async () => {
    for (const path of [
      "/invite-assets/other.js",
      "/invite-assets/",
      "/docs/other.js",
      "/public/docs/scalar.js",
      "/_headers",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("X-Request-Id"), path).toMatch(/^[0-9a-f-]{36}$/);
      expect(await res.json(), path).toMatchObject({
        code: "not_found",
        message: `No route for GET ${path}`,
      });
    }
  });
});
