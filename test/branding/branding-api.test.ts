import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { testKeyFor } from "../onboarding/support";
import { BASE, call, createProject, expectError } from "../support/api";
import { getBranding, JPEG, PNG, putBranding, putLogo, SVG, sha256Hex, WEBP } from "./support";

const FULL = {
  displayName: "Acme Messaging",
  accentColor: "#ffee00",
  supportEmail: "help@acme.example.com",
  supportUrl: "https://acme.example.com/help",
  privacyPolicyUrl: "https://acme.example.com/privacy",
  termsUrl: "https://acme.example.com/terms",
};

const EMPTY = {
  displayName: null,
  accentColor: null,
  supportEmail: null,
  supportUrl: null,
  privacyPolicyUrl: null,
  termsUrl: null,
  logoUrl: null,
  updatedAt: null,
};

describe("GET/PUT /v1/invitations/branding", () => {
  it("starts empty, stores every field (accent upper-cased), and a PUT replaces the text fields", async () => {
    const { apiKey } = await createProject();
    expect(await getBranding(apiKey)).toEqual(EMPTY);

    const res = await putBranding(apiKey, FULL);
    expect(res.status, await res.clone().text()).toBe(200);
    const { branding } = (await res.json()) as { branding: Record<string, unknown> };
    expect(branding).toEqual({
      ...FULL,
      accentColor: "#FFEE00",
      logoUrl: null,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await getBranding(apiKey)).toEqual(branding);

    // Left out means cleared: PUT replaces.
    const second = await putBranding(apiKey, { displayName: "Acme" });
    expect(second.status).toBe(200);
    expect(await getBranding(apiKey)).toMatchObject({
      ...EMPTY,
      displayName: "Acme",
      updatedAt: expect.any(String),
    });
  });

  it("is not read as an invitation id: GET /v1/invitations/branding is the branding, not a 404 invitation", async () => {
    const { apiKey } = await createProject();
    const res = await call("/v1/invitations/branding", { apiKey });
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toEqual(["branding"]);
  });

  it.each([
    ["accentColor", "yellow", "Must be a colour as #RRGGBB"],
    ["accentColor", "#FFF", "Must be a colour as #RRGGBB"],
    ["accentColor", "#FFEE00; background:url(x)", "Must be a colour as #RRGGBB"],
    ["supportUrl", "javascript:alert(1)", "Must use https"],
    ["privacyPolicyUrl", "http://acme.example.com/privacy", "Must use https"],
    ["termsUrl", "data:text/html,hi", "Must use https"],
    ["supportUrl", "https://user:pw@acme.example.com/", "Must not contain credentials (user:password@)"],
    ["supportUrl", "https://localhost/help", "Must not point at a loopback address or localhost"],
    ["supportUrl", "not a url", "Must be an absolute URL"],
    ["supportEmail", "not-an-email", "Must be a valid email address"],
    ["displayName", "", "Too small: expected string to have >=1 characters"],
  ])(
    "%s %j is a 400 invalid_request naming the field, and changes nothing",
    async (field, value, message) => {
      const { apiKey } = await createProject();
      await putBranding(apiKey, FULL);
      const before = await getBranding(apiKey);
      const body = await expectError(
        await putBranding(apiKey, { ...FULL, [field]: value }),
        400,
        "invalid_request",
      );
      expect(body.details?.fields).toEqual({ [field]: message });
      expect(await getBranding(apiKey)).toEqual(before);
    },
  );

  it("an unknown field, a non-object, malformed JSON and a non-JSON type are Errors, not 500s", async () => {
    const { apiKey } = await createProject();
    const unknown = await expectError(
      await putBranding(apiKey, { colour: "#000000" }),
      400,
      "invalid_request",
    );
    expect(unknown.details?.fields).toEqual({ colour: "Unknown field" });
    await expectError(await putBranding(apiKey, ["x"]), 400, "invalid_request");
    await expectError(
      await call("/v1/invitations/branding", {
        method: "PUT",
        apiKey,
        headers: { "Content-Type": "application/json" },
        body: "{",
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/v1/invitations/branding", {
        method: "PUT",
        apiKey,
        headers: { "Content-Type": "text/plain" },
        body: "{}",
      }),
      415,
      "unsupported_media_type",
    );
    expect(await getBranding(apiKey)).toEqual(EMPTY);
  });

  it("is rate-limited like every /v1 route, and other methods are a 405", async () => {
    const { apiKey } = await createProject();
    const res = await call("/v1/invitations/branding", { apiKey });
    expect(res.headers.get("X-RateLimit-Limit")).toMatch(/^\d+$/);
    expect(res.headers.get("X-RateLimit-Remaining")).toMatch(/^\d+$/);
    await expectError(
      await call("/v1/invitations/branding", { method: "DELETE", apiKey }),
      405,
      "method_not_allowed",
    );
    await expectError(await call("/v1/invitations/branding/logo", { apiKey }), 405, "method_not_allowed");
  });

  it("needs an API key", async () => {
    await expectError(await call("/v1/invitations/branding"), 401, "unauthorized");
    await expectError(await putLogo("zv_live_nope", PNG), 401, "unauthorized");
  });
});

describe("the logo", () => {
  it.each([
    ["PNG", PNG, "image/png"],
    ["JPEG", JPEG, "image/jpeg"],
    ["WebP", WEBP, "image/webp"],
  ] as const)(
    "a %s is stored under its SHA-256 and served immutable, nosniff, with the sniffed type",
    async (_, bytes, type) => {
      const { apiKey } = await createProject();
      // The declared type is not trusted: the bytes decide.
      const res = await putLogo(apiKey, bytes, "application/octet-stream");
      expect(res.status, await res.clone().text()).toBe(200);
      const hash = await sha256Hex(bytes);
      const { branding } = (await res.json()) as { branding: { logoUrl: string } };
      expect(branding.logoUrl).toBe(`${BASE}/branding/logos/${hash}`);
      expect((await getBranding(apiKey)).logoUrl).toBe(branding.logoUrl);

      const image = await call(`/branding/logos/${hash}`);
      expect(image.status).toBe(200);
      expect(new Uint8Array(await image.arrayBuffer())).toEqual(bytes);
      expect(image.headers.get("Content-Type")).toBe(type);
      expect(image.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
      expect(image.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(image.headers.get("Content-Security-Policy")).toBe("default-src 'none'; sandbox");
      const stored = await env.BRANDING.head(`logos/${hash}`);
      expect(stored?.httpMetadata?.contentType).toBe(type);
    },
  );

  it("SVG is refused with 415 (even declared as PNG), and nothing is stored", async () => {
    const { apiKey } = await createProject();
    const body = await expectError(await putLogo(apiKey, SVG, "image/png"), 415, "unsupported_media_type");
    expect(body.message).toBe("SVG logos are not accepted: send a PNG, JPEG or WebP image");
    await expectError(await putLogo(apiKey, SVG, "image/svg+xml"), 415, "unsupported_media_type");
    expect(await env.BRANDING.head(`logos/${await sha256Hex(SVG)}`)).toBeNull();
    expect((await getBranding(apiKey)).logoUrl).toBeNull();
  });

  it("a GIF, text and an empty body are refused; the logo is unchanged", async () => {
    const { apiKey } = await createProject();
    await putLogo(apiKey, PNG);
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00");
    await expectError(await putLogo(apiKey, gif, "image/gif"), 415, "unsupported_media_type");
    await expectError(
      await putLogo(apiKey, new TextEncoder().encode("hello")),
      415,
      "unsupported_media_type",
    );
    await expectError(await putLogo(apiKey, new Uint8Array(0)), 400, "invalid_request");
    expect((await getBranding(apiKey)).logoUrl).toBe(`${BASE}/branding/logos/${await sha256Hex(PNG)}`);
  });

  it("takes 256 KiB exactly (over the API's usual 64 KiB) and refuses one byte more with 413", async () => {
    const { apiKey } = await createProject();
    const max = new Uint8Array(256 * 1024);
    max.set(PNG);
    expect((await putLogo(apiKey, max)).status).toBe(200);
    const over = new Uint8Array(256 * 1024 + 1);
    over.set(JPEG);
    const body = await expectError(await putLogo(apiKey, over), 413, "payload_too_large");
    expect(body.details?.maxBytes).toBe(256 * 1024);
    expect((await getBranding(apiKey)).logoUrl).toBe(`${BASE}/branding/logos/${await sha256Hex(max)}`);
    // Every other route keeps its 64 KiB.
    const big = JSON.stringify({ displayName: "x".repeat(70 * 1024) });
    await expectError(
      await call("/v1/invitations/branding", {
        method: "PUT",
        apiKey,
        headers: { "Content-Type": "application/json" },
        body: big,
      }),
      413,
      "payload_too_large",
    );
  });

  it("DELETE removes it: the branding has no logoUrl and the image is no longer served; text fields stay", async () => {
    const { apiKey } = await createProject();
    await putBranding(apiKey, { displayName: "Acme" });
    const bytes = new Uint8Array([...PNG, ...crypto.getRandomValues(new Uint8Array(16))]);
    await putLogo(apiKey, bytes);
    const hash = await sha256Hex(bytes);
    expect((await call(`/branding/logos/${hash}`)).status).toBe(200);

    const res = await call("/v1/invitations/branding/logo", { method: "DELETE", apiKey });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { branding: unknown }).branding).toMatchObject({
      displayName: "Acme",
      logoUrl: null,
    });
    await expectError(await call(`/branding/logos/${hash}`), 404, "not_found");
    // Deleting again is fine.
    expect((await call("/v1/invitations/branding/logo", { method: "DELETE", apiKey })).status).toBe(200);
  });

  it("an unknown or malformed hash is a 404 Error", async () => {
    await expectError(await call(`/branding/logos/${"a".repeat(64)}`), 404, "not_found");
    await expectError(await call("/branding/logos/..%2F..%2Fsecret"), 404, "not_found");
    await expectError(await call("/branding/logos/ABC"), 404, "not_found");
  });
});

describe("isolation: each project and each mode has its own branding", () => {
  it("a test key and a live key of one project, and another project, see only their own", async () => {
    const a = await createProject();
    const aTest = await testKeyFor(a.projectId);
    const b = await createProject();
    await putBranding(a.apiKey, { displayName: "A live", accentColor: "#202020" });
    await putBranding(aTest, { displayName: "A test" });
    const bytes = new Uint8Array([...PNG, 1, 2, 3, 4, 5]);
    await putLogo(aTest, bytes);

    expect(await getBranding(a.apiKey)).toMatchObject({
      displayName: "A live",
      accentColor: "#202020",
      logoUrl: null,
    });
    expect(await getBranding(aTest)).toMatchObject({
      displayName: "A test",
      accentColor: null,
      logoUrl: expect.any(String),
    });
    expect(await getBranding(b.apiKey)).toEqual(EMPTY);

    // Another tenant deleting its (absent) logo does not touch this one's.
    await call("/v1/invitations/branding/logo", { method: "DELETE", apiKey: b.apiKey });
    await call("/v1/invitations/branding/logo", { method: "DELETE", apiKey: a.apiKey });
    expect((await call(`/branding/logos/${await sha256Hex(bytes)}`)).status).toBe(200);
  });

  it("the same image in two projects is one object; one deleting it keeps it served for the other", async () => {
    const a = await createProject();
    const b = await createProject();
    const bytes = new Uint8Array([...PNG, ...crypto.getRandomValues(new Uint8Array(8))]);
    await putLogo(a.apiKey, bytes);
    await putLogo(b.apiKey, bytes);
    await call("/v1/invitations/branding/logo", { method: "DELETE", apiKey: a.apiKey });
    expect((await call(`/branding/logos/${await sha256Hex(bytes)}`)).status).toBe(200);
    expect((await getBranding(a.apiKey)).logoUrl).toBeNull();
  });
});

describe("/openapi.json", () => {
  it("lists the four branding operations and the logo route", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.paths["/v1/invitations/branding"]?.get?.operationId).toBe("getBranding");
    expect(doc.paths["/v1/invitations/branding"]?.put?.operationId).toBe("putBranding");
    expect(doc.paths["/v1/invitations/branding/logo"]?.put?.operationId).toBe("putBrandingLogo");
    expect(doc.paths["/v1/invitations/branding/logo"]?.delete?.operationId).toBe("deleteBrandingLogo");
    expect(doc.paths["/branding/logos/{hash}"]?.get?.operationId).toBe("getBrandingLogo");
  });
});
