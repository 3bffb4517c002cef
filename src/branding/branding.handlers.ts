import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { BrandingRow } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { tenantOf } from "../projects/tenant";
import * as repository from "./branding.repository";
import type * as routes from "./branding.routes";
import { logoHash, logoKey, logoPath, sniffImage } from "./logo";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** The branding as the API shows it: every field, null when unset; the logo as an absolute URL. */
function serialize(row: BrandingRow | undefined, origin: string) {
  return {
    branding: {
      displayName: row?.displayName ?? null,
      accentColor: row?.accentColor ?? null,
      supportEmail: row?.supportEmail ?? null,
      supportUrl: row?.supportUrl ?? null,
      privacyPolicyUrl: row?.privacyPolicyUrl ?? null,
      termsUrl: row?.termsUrl ?? null,
      logoUrl: row?.logoHash ? `${origin}${logoPath(row.logoHash)}` : null,
      updatedAt: row ? new Date(row.updatedAt).toISOString() : null,
    },
  };
}

const originOf = (url: string) => new URL(url).origin;

export const getBranding: Handler<typeof routes.getBranding> = async (c) => {
  const row = await repository.findBranding(c.get("db"), tenantOf(c));
  return c.json(serialize(row, originOf(c.req.url)), 200);
};

export const putBranding: Handler<typeof routes.putBranding> = async (c) => {
  const input = c.req.valid("json");
  const row = await repository.putBranding(
    c.get("db"),
    tenantOf(c),
    {
      displayName: input.displayName ?? null,
      accentColor: input.accentColor ?? null,
      supportEmail: input.supportEmail ?? null,
      supportUrl: input.supportUrl ?? null,
      privacyPolicyUrl: input.privacyPolicyUrl ?? null,
      termsUrl: input.termsUrl ?? null,
    },
    c.get("now")(),
  );
  return c.json(serialize(row, originOf(c.req.url)), 200);
};

/**
 * The raw image, at most MAX_LOGO_BYTES (the app's body limit for this path): stored in R2
 * under its SHA-256 (the same bytes from two projects are one object), then named by the
 * branding row. The type is sniffed from the bytes; the declared Content-Type is not trusted.
 */
export const putLogo: Handler<typeof routes.putLogo> = async (c) => {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw new ApiError("invalid_request", "Send the image as the request body");
  const type = sniffImage(bytes);
  if (type === "svg") {
    throw new ApiError(
      "unsupported_media_type",
      "SVG logos are not accepted: send a PNG, JPEG or WebP image",
      {
        details: { accepted: ["image/png", "image/jpeg", "image/webp"] },
      },
    );
  }
  if (type === null) {
    throw new ApiError("unsupported_media_type", "The body is not a PNG, JPEG or WebP image", {
      details: { accepted: ["image/png", "image/jpeg", "image/webp"] },
    });
  }
  const hash = await logoHash(bytes);
  await c.env.BRANDING.put(logoKey(hash), bytes, { httpMetadata: { contentType: type } });
  const row = await repository.setLogo(c.get("db"), tenantOf(c), { hash, type }, c.get("now")());
  return c.json(serialize(row, originOf(c.req.url)), 200);
};

/**
 * The branding stops naming the logo; its bytes stay in R2 (another project may use the same
 * image), and an image no branding names is not served.
 */
export const deleteLogo: Handler<typeof routes.deleteLogo> = async (c) => {
  const row = await repository.setLogo(c.get("db"), tenantOf(c), null, c.get("now")());
  return c.json(serialize(row, originOf(c.req.url)), 200);
};

const notFound = () => new ApiError("not_found", "No such logo");

/** A logo by its hash: immutable (the path is the content), never sniffed as anything else. */
export const getLogo: Handler<typeof routes.getLogo> = async (c) => {
  const { hash } = c.req.valid("param");
  if (!/^[0-9a-f]{64}$/.test(hash)) throw notFound();
  const type = await repository.logoInUse(c.get("db"), hash);
  if (!type) throw notFound();
  const object = await c.env.BRANDING.get(logoKey(hash));
  if (!object) throw notFound();
  return c.body(object.body, 200, {
    "Content-Type": type,
    "Content-Length": String(object.size),
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    // An image, nothing to run even if opened on its own.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    ETag: `"${hash}"`,
  }) as never;
};
