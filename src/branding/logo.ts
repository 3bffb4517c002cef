/**
 * Logo images: what the bytes are (never the declared Content-Type), and where they live. Only
 * raster formats a browser shows in an <img> and cannot script: PNG, JPEG, WebP. SVG is
 * refused: it is a document that can carry script and external references.
 */

export const MAX_LOGO_BYTES = 256 * 1024;
export const LOGO_PATH_PREFIX = "/branding/logos/";

export type LogoType = "image/png" | "image/jpeg" | "image/webp";

const startsWith = (bytes: Uint8Array, prefix: number[], at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

/** The image type the bytes are, "svg" for an SVG (or other XML), or null for anything else. */
export function sniffImage(bytes: Uint8Array): LogoType | "svg" | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  // RIFF <size> WEBP
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    return "image/webp";
  }
  const head = new TextDecoder()
    .decode(bytes.subarray(0, 512))
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (head.startsWith("<") && /<svg[\s>]/i.test(new TextDecoder().decode(bytes.subarray(0, 4096))))
    return "svg";
  return null;
}

/** SHA-256 of the bytes, hex: the object's key in R2 and its served path (content-addressed). */
export async function logoHash(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const logoKey = (hash: string) => `logos/${hash}`;
export const logoPath = (hash: string) => `${LOGO_PATH_PREFIX}${hash}`;
