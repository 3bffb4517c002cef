import { call } from "../support/api";

/** Bytes that start like each format (the service reads only the signature). */
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]);
export const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
export const WEBP = new Uint8Array([
  0x52, 0x49, 0x46, 0x46, 26, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20,
]);
export const SVG = new TextEncoder().encode(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
);

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function putBranding(apiKey: string, body: unknown) {
  return call("/v1/invitations/branding", {
    method: "PUT",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export function putLogo(apiKey: string, bytes: Uint8Array, contentType = "image/png") {
  return call("/v1/invitations/branding/logo", {
    method: "PUT",
    apiKey,
    headers: { "Content-Type": contentType },
    body: bytes,
  });
}

export async function getBranding(apiKey: string) {
  const res = await call("/v1/invitations/branding", { apiKey });
  if (res.status !== 200) throw new Error(`get branding: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { branding: Record<string, unknown> }).branding;
}
