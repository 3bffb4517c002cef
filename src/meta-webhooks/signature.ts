/**
 * Meta's side of its webhooks: the `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the
 * raw body, keyed with the app secret>`) and the verify token of the subscription handshake.
 * Both are compared in constant time.
 */

const encoder = new TextEncoder();

function hexBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Whether `header` signs `body` (the bytes as received) with `appSecret`. */
export async function validMetaSignature(
  appSecret: string,
  body: Uint8Array,
  header: string | undefined,
): Promise<boolean> {
  if (!appSecret || !header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  const signature = match?.[1] ? hexBytes(match[1]) : null;
  if (!signature) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(appSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // `verify` compares in constant time.
  return crypto.subtle.verify("HMAC", key, signature, body);
}

/** The header Meta would send for `body` (tests, and the operator's own checks). */
export async function metaSignatureHeader(appSecret: string, body: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(appSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Constant-time equality of two strings of any lengths (compared as SHA-256 digests). */
export async function sameSecret(expected: string, given: string): Promise<boolean> {
  const [a, b] = await Promise.all(
    [expected, given].map(
      async (s) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s))),
    ),
  );
  if (!a || !b) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}
