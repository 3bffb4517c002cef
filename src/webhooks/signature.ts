import { randomToken } from "../lib/crypto";

/**
 * `X-Zavu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, body)>,v2=<hex
 * HMAC-SHA256(secret, "<t>.<body>")>`. The key is the secret string exactly as the partner got
 * it, `whsec_` included, so a receiver needs no decoding step; v2 binds the time, which lets
 * receivers refuse replays. Computed over the exact bytes that are sent.
 */

export const SIGNATURE_HEADER = "X-Zavu-Signature";
export const WEBHOOK_SECRET_PREFIX = "whsec_";

const encoder = new TextEncoder();

/** `whsec_` + 256 random bits, base64url. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomToken(32)}`;
}

async function hmacHex(key: CryptoKey, message: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function signatureHeader(
  secret: string,
  body: string,
  timestampSeconds: number,
): Promise<string> {
  // Imported per delivery, not cached: a cache would keep every project's secret in memory.
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const [v1, v2] = await Promise.all([hmacHex(key, body), hmacHex(key, `${timestampSeconds}.${body}`)]);
  return `t=${timestampSeconds},v1=${v1},v2=${v2}`;
}
