import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";

export const MAX_BODY_BYTES = 64 * 1024;

/** Bodies over 64 KiB are refused before they are read in full, let alone parsed. */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes`, {
      details: { maxBytes: MAX_BODY_BYTES },
    });
  },
});

/** The one route with a larger body: a logo image (src/branding/), up to its own limit. */
export function limitBodyTo(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `The request body is larger than ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    },
  });
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The contract makes request bodies optional. No body, or an empty (whitespace) body without
 * a content type or with a JSON one, means "no fields": it is rewritten to `{}` so the route's
 * validator applies the defaults, instead of failing as malformed JSON or skipping validation.
 * A non-empty body goes to the validator untouched (a non-JSON type is a 415 there).
 */
export const emptyBodyAsEmptyObject = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "POST") {
    const [mediaType = "", ...parameters] = (c.req.header("Content-Type") ?? "").split(";");
    const type = mediaType.trim();
    const jsonOrNone = type === "" || JSON_MEDIA_TYPE.test(type);
    // Only JSON's own whitespace counts as "no body"; anything else goes to the parser.
    if (jsonOrNone && /^[ \t\r\n]*$/.test(await c.req.text())) {
      const headers = new Headers(c.req.raw.headers);
      headers.set("Content-Type", "application/json");
      headers.delete("Content-Length");
      c.req.raw = new Request(c.req.raw.url, { method: "POST", headers, body: "{}" });
      c.req.bodyCache = {};
    } else if (jsonOrNone) {
      // JSON is UTF-8 (RFC 8259): a body declared in another charset would be misread.
      const charset = parameters.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith("charset="));
      if (charset && !/^charset="?utf-8"?$/.test(charset)) {
        throw new ApiError("unsupported_media_type", "Send JSON as UTF-8 (Content-Type: application/json)");
      }
    }
  }
  await next();
});
