/**
 * Every secret this service mints, hashes or encrypts goes through this module, so that the
 * choices (entropy, encodings, algorithms, key rotation) live in one place.
 *
 * - API keys: random, shown once, stored as SHA-256. They carry 256 bits of entropy, so an
 *   unkeyed fast hash is enough: nothing can be brute-forced from a dump.
 * - Invitation tokens (and later provider tokens): the contract returns them on every read, so
 *   they are kept encrypted with AES-256-GCM and found by a keyed HMAC-SHA-256, so that a copy
 *   of the database alone holds no usable token.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const URL_SAFE: Record<string, string> = { "+": "-", "/": "_", "=": "" };

export function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  // In chunks: spreading a large array into one call would overflow the argument limit.
  for (let i = 0; i < bytes.length; i += 8192) binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(binary).replace(/[+/=]/g, (c) => URL_SAFE[c] ?? c);
}

export function base64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const normalized = value.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(normalized + "=".repeat((4 - (normalized.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function toHex(buffer: ArrayBuffer): string {
  let hex = "";
  for (const byte of new Uint8Array(buffer)) hex += HEX[byte];
  return hex;
}

/** `bytes` random bytes from the platform CSPRNG, base64url without padding. */
export function randomToken(bytes = 32): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias). */
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** `length` random decimal digits (a WhatsApp two-step verification PIN: 6). */
export function randomDigits(length: number): string {
  return randomString("0123456789", length);
}

/** `prefix_` + 24 base-36 characters (~124 bits): ids are not secrets, but must not collide. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomString(BASE36, 24)}`;
}

export const API_KEY_PREFIX = "zv_live_";
/** Test keys create test-mode invitations (the built-in fake of Meta, never the real one). */
export const TEST_API_KEY_PREFIX = "zv_test_";
/** Matches the keys this service issues; anything else is rejected before a lookup. */
export const API_KEY_PATTERN = /^zv_(live|test)_[0-9A-Za-z]{48}$/;

/**
 * A new project API key: a fixed prefix that secret scanners can match (`zv_live_`, or
 * `zv_test_` for a test key), then 48 base-62 characters (~285 bits).
 */
export function generateApiKey(mode: "live" | "test" = "live"): string {
  return `${mode === "test" ? TEST_API_KEY_PREFIX : API_KEY_PREFIX}${randomString(BASE62, 48)}`;
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

// Imported CryptoKeys are cached per isolate: importKey costs more than the HMAC itself.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      secret.startsWith("raw:") ? encoder.encode(secret.slice(4)) : base64ToBytes(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Hex HMAC-SHA-256 of `message`. `secret` is base64, or `raw:` followed by the key's text
 * (webhook secrets `whsec_…` are used as text, as receivers will).
 */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(message)));
}

/**
 * Constant-time comparison of two strings (signatures, MACs). Written out rather than using
 * Workers' `crypto.subtle.timingSafeEqual` so the module also runs in the Node operator scripts.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let diff = left.byteLength ^ right.byteLength;
  for (let i = 0; i < left.byteLength; i++) diff |= (left[i] ?? 0) ^ (right[i % right.byteLength] ?? 0);
  return diff === 0;
}

interface Keyring {
  current: { id: string; key: Promise<CryptoKey> };
  byId: Map<string, Promise<CryptoKey>>;
}

const keyrings = new Map<string, Keyring>();

/**
 * Parses `ENCRYPTION_KEYS`: `id:base64key` pairs, comma separated. The first key encrypts;
 * every listed key decrypts, which is how a key is rotated (see docs/security.md).
 */
function keyring(spec: string): Keyring {
  const cached = keyrings.get(spec);
  if (cached) return cached;
  const entries = spec
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const separator = part.indexOf(":");
      const id = part.slice(0, separator);
      const raw = base64ToBytes(part.slice(separator + 1));
      if (separator < 1 || raw.byteLength !== 32) {
        throw new Error("ENCRYPTION_KEYS must be id:base64(32 bytes) pairs");
      }
      const key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
      return { id, key };
    });
  const first = entries[0];
  if (!first) throw new Error("ENCRYPTION_KEYS is empty");
  const ring: Keyring = { current: first, byId: new Map(entries.map((e) => [e.id, e.key])) };
  keyrings.set(spec, ring);
  return ring;
}

/** AES-256-GCM with a random 96-bit IV. Output: `<keyId>.<iv b64url>.<ciphertext b64url>`. */
export async function encryptSecret(keysSpec: string, plaintext: string): Promise<string> {
  const { current } = keyring(keysSpec);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await current.key,
    encoder.encode(plaintext),
  );
  return `${current.id}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

export async function decryptSecret(keysSpec: string, sealed: string): Promise<string> {
  const [keyId, iv, data] = sealed.split(".");
  const key = keyId === undefined ? undefined : keyring(keysSpec).byId.get(keyId);
  if (!key || !iv || !data) throw new Error(`no decryption key for sealed value (key ${keyId})`);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv) },
    await key,
    base64ToBytes(data),
  );
  return decoder.decode(plain);
}

/** Id of the key that encrypts new values (to find rows still sealed with an older key). */
export function currentEncryptionKeyId(keysSpec: string): string {
  return keyring(keysSpec).current.id;
}
