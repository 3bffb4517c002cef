import type { SignatureVersion } from "../db/schema";
import { randomToken } from "../lib/crypto";

/**
 * `X-Zavu-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<body>")>`, and with
 * `signatureVersion: "v1+v2"` also `v1=<hex HMAC-SHA256(secret, body)>` (body only: replayable,
 * for receivers that still read it). The key is the secret string exactly as the partner got
 * it, `whsec_` included, so a receiver needs no decoding step; v2 binds the time, which lets
 * receivers refuse replays. Computed over the exact bytes that are sent.
 *
 * As Stripe does, one entry per scheme and live secret: during a rotation's overlap the
 * secret it replaced signs too, so the header is `t=…,v1=<new>,v1=<old>,v2=<new>,v2=<old>`
 * (the current secret first). A receiver accepts when any entry of its scheme matches.
 */

export const SIGNATURE_HEADER = "X-Zavu-Signature";
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** How long a rotated-out secret keeps signing deliveries, so a receiver can roll to the new one. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const encoder = new TextEncoder();

/** `whsec_` + 256 random bits, base64url. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomToken(32)}`;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  // Imported per delivery, not cached: a cache would keep every project's secret in memory.
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The header for `body` sent at `timestampSeconds`, signed by each of `secrets` (current first). */
export async function signatureHeader(
  secrets: readonly string[],
  body: string,
  timestampSeconds: number,
  version: SignatureVersion,
): Promise<string> {
  const v1 = version === "v1+v2" ? await Promise.all(secrets.map((secret) => hmacHex(secret, body))) : [];
  const v2 = await Promise.all(secrets.map((secret) => hmacHex(secret, `${timestampSeconds}.${body}`)));
  return [`t=${timestampSeconds}`, ...v1.map((mac) => `v1=${mac}`), ...v2.map((mac) => `v2=${mac}`)].join(
    ",",
  );
}
