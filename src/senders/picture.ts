import { ApiError } from "../lib/errors";
import type { FetchHandler } from "../meta/graph";
import { webhookUrlProblem } from "../webhooks/url-policy";

/** The largest profile picture fetched (Meta takes up to 5 MB). */
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;
export const PICTURE_FETCH_TIMEOUT_MS = 10_000;

export type PictureType = "image/jpeg" | "image/png";

const MAGIC: Record<PictureType, number[]> = {
  "image/jpeg": [0xff, 0xd8, 0xff],
  "image/png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

const refuse = (message: string, extra: Record<string, unknown> = {}) =>
  new ApiError("invalid_request", message, { details: { fields: { imageUrl: message }, ...extra } });

/** The type the bytes are, by their signature, or null. */
export function sniffPicture(bytes: Uint8Array): PictureType | null {
  for (const [type, magic] of Object.entries(MAGIC) as [PictureType, number[]][]) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return type;
  }
  return null;
}

/**
 * Fetches the partner's image for a profile picture. The URL must pass the webhook URL rules
 * (https, a public host: no way into internal networks); redirects are not followed (their
 * target would escape the check); the body is read up to MAX_PICTURE_BYTES and no further; the
 * declared type must be what the bytes are. Every refusal is a 400 on `imageUrl`.
 */
export async function fetchPicture(
  imageUrl: string,
  mimeType: PictureType,
  options: { allowLocal: boolean; fetch?: FetchHandler; timeoutMs?: number },
): Promise<Uint8Array> {
  const problem = webhookUrlProblem(imageUrl, { allowLocal: options.allowLocal });
  if (problem) throw refuse(problem);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? PICTURE_FETCH_TIMEOUT_MS);
  try {
    let response: Response;
    try {
      const request = new Request(imageUrl, {
        headers: { Accept: "image/jpeg, image/png" },
        redirect: "manual",
        signal: controller.signal,
      });
      response = await (options.fetch ?? ((r: Request) => fetch(r)))(request);
    } catch {
      throw refuse(
        controller.signal.aborted
          ? `The image could not be fetched within ${options.timeoutMs ?? PICTURE_FETCH_TIMEOUT_MS} ms`
          : "The image could not be fetched",
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw refuse("The image URL redirects; give the image's own URL (redirects are not followed)");
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw refuse(`The image URL answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("Content-Length") ?? Number.NaN);
    if (declared > MAX_PICTURE_BYTES) {
      await response.body?.cancel();
      throw refuse(`The image is larger than ${MAX_PICTURE_BYTES} bytes`, { maxBytes: MAX_PICTURE_BYTES });
    }
    const bytes = await readCapped(response, controller);
    if (bytes === null) {
      throw refuse(`The image is larger than ${MAX_PICTURE_BYTES} bytes`, { maxBytes: MAX_PICTURE_BYTES });
    }
    if (bytes.length === 0) throw refuse("The image URL answered an empty body");
    const actual = sniffPicture(bytes);
    if (actual !== mimeType) {
      throw refuse(
        `The image is not ${mimeType === "image/jpeg" ? "a JPEG" : "a PNG"} (mimeType says ${mimeType}, its bytes are ${actual ?? "neither JPEG nor PNG"})`,
      );
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body, or null as soon as it passes the cap (the rest is never read). */
async function readCapped(response: Response, controller: AbortController): Promise<Uint8Array | null> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > MAX_PICTURE_BYTES) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  } catch {
    throw refuse(
      controller.signal.aborted ? "The image took too long to download" : "The image download failed",
    );
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
