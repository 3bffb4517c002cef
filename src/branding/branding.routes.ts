import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonResponse } from "../lib/openapi";
import { BrandingResponseSchema, BrandingUpdateRequestSchema } from "./branding.schemas";
import { MAX_LOGO_BYTES } from "./logo";

// Literal paths under /v1/invitations/branding: the app mounts this router before the
// invitations router, so "branding" is never read as an {invitationId}.

const tags = ["Branding"];
const security = [{ bearerAuth: [] }];
export const BRANDING_PATH = "/v1/invitations/branding";
export const LOGO_UPLOAD_PATH = `${BRANDING_PATH}/logo`;

export const getBranding = createRoute({
  method: "get",
  path: BRANDING_PATH,
  operationId: "getBranding",
  summary: "Get the invite page's branding",
  description:
    "This project's branding of the invite page, in the key's mode (test and live each have their own). Every field is null when nothing was set: the page then names the project.",
  tags,
  security,
  responses: {
    200: jsonResponse(BrandingResponseSchema, "The branding."),
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

export const putBranding = createRoute({
  method: "put",
  path: BRANDING_PATH,
  operationId: "putBranding",
  summary: "Set the invite page's branding",
  description:
    "Replaces the text fields (a field left out, or null, is cleared); the logo is kept (`PUT /v1/invitations/branding/logo`). Every field is optional. Links must be https.",
  tags,
  security,
  request: { body: jsonBody(BrandingUpdateRequestSchema) },
  responses: {
    200: jsonResponse(BrandingResponseSchema, "The branding as it now is."),
    400: errorResponses[400],
    401: errorResponses[401],
    413: errorResponses[413],
    415: errorResponses[415],
    429: errorResponses[429],
  },
});

const image = { schema: z.string().openapi({ type: "string", format: "binary" }) };

export const putLogo = createRoute({
  method: "put",
  path: LOGO_UPLOAD_PATH,
  operationId: "putBrandingLogo",
  summary: "Upload the logo",
  description: `The raw image as the body: PNG, JPEG or WebP, at most ${MAX_LOGO_BYTES / 1024} KiB (this route alone takes bodies over the API's 64 KiB). The type is read from the bytes, not from \`Content-Type\`. SVG is refused (it can carry script). Replaces any previous logo.`,
  tags,
  security,
  request: {
    body: {
      required: true,
      content: { "image/png": image, "image/jpeg": image, "image/webp": image },
    },
  },
  responses: {
    200: jsonResponse(BrandingResponseSchema, "The branding with its new `logoUrl`."),
    400: { ...errorResponses[400], description: "Empty body (code `invalid_request`)." },
    401: errorResponses[401],
    413: {
      ...errorResponses[413],
      description: `Image larger than ${MAX_LOGO_BYTES / 1024} KiB (code \`payload_too_large\`).`,
    },
    415: {
      ...errorResponses[415],
      description: "Not a PNG, JPEG or WebP image, SVG included (code `unsupported_media_type`).",
    },
    429: errorResponses[429],
  },
});

export const deleteLogo = createRoute({
  method: "delete",
  path: LOGO_UPLOAD_PATH,
  operationId: "deleteBrandingLogo",
  summary: "Remove the logo",
  description:
    "The page shows no logo any more; its old URL answers 404 unless another branding uses the same image.",
  tags,
  security,
  responses: {
    200: jsonResponse(BrandingResponseSchema, "The branding without a logo."),
    401: errorResponses[401],
    429: errorResponses[429],
  },
});

export const getLogo = createRoute({
  method: "get",
  path: "/branding/logos/{hash}",
  operationId: "getBrandingLogo",
  summary: "A logo image",
  description:
    "A logo, by the SHA-256 of its bytes: `Cache-Control: public, max-age=31536000, immutable`, `X-Content-Type-Options: nosniff`. 404 for an image no branding uses.",
  tags,
  security: [],
  request: {
    params: z.object({
      hash: z.string().openapi({ param: { name: "hash", in: "path" }, example: "9f86d081…" }),
    }),
  },
  responses: {
    200: {
      description: "The image.",
      content: { "image/png": image, "image/jpeg": image, "image/webp": image },
    },
    404: errorResponses[404],
    429: errorResponses[429],
  },
});
