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

/**
 * Every column that holds a value sealed under ENCRYPTION_KEYS, as `table.column`. The name is
 * the AES-GCM additional data of its ciphertexts, so a value copied into another column does
 * not open there; `admin reseal` (src/db/reseal.ts) walks this list. A new sealed column is one
 * line here.
 */
export const SEALED_COLUMNS = [
  "invitations.token_ciphertext",
  "webhooks.secret_ciphertext",
  "idempotency_keys.response_body_ciphertext",
  "senders.access_token_ciphertext",
  "onboarding_attempts.pages_ciphertext",
  "phone_number_pins.pin_ciphertext",
  "webhooks.previous_secret_ciphertext",
  "onboarding_attempts.number_ciphertext",
] as const;
export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/**
 * Columns a value moves between as it is, in SQL, so they share one additional data: a rotation
 * moves the current webhook secret into the previous-secret column without opening it.
 */
const SHARED_AAD: Partial<Record<SealedColumn, SealedColumn>> = {
  "webhooks.previous_secret_ciphertext": "webhooks.secret_ciphertext",
};

/** The additional data a column's ciphertexts are bound to. */
export function aadOf(column: SealedColumn): string {
  return SHARED_AAD[column] ?? column;
}

/** A keyring that cannot be used: its message names the problem, never key material. */
export class KeyringError extends Error {}

interface RingKey {
  id: string;
  /** Seals and opens stored secrets. */
  key: Promise<CryptoKey>;
  /** Seals and opens `X-D1-Bookmark` (HKDF of the same bytes, another purpose). */
  bookmarkKey: Promise<CryptoKey>;
}

interface Keyring {
  current: RingKey;
  byId: Map<string, RingKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]+$/;
const keyrings = new Map<string, Keyring | KeyringError>();

function bookmarkKeyOf(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle
    .importKey("raw", raw, "HKDF", false, ["deriveKey"])
    .then((base) =>
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("x-d1-bookmark") },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      ),
    );
}

function parseKeyring(spec: string): Keyring {
  const parts = spec
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new KeyringError("ENCRYPTION_KEYS is empty");
  const byId = new Map<string, RingKey>();
  const entries = parts.map((part, index) => {
    const separator = part.indexOf(":");
    // The text of a malformed entry may be key material: it is named by position only.
    const id = separator < 0 ? "" : part.slice(0, separator);
    if (!KEY_ID.test(id)) {
      throw new KeyringError(
        `ENCRYPTION_KEYS: entry ${index + 1} has no key id of [A-Za-z0-9_-] before its ':'`,
      );
    }
    if (byId.has(id)) throw new KeyringError(`ENCRYPTION_KEYS: duplicate key id ${id}`);
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = base64ToBytes(part.slice(separator + 1));
    } catch {
      throw new KeyringError(`ENCRYPTION_KEYS: key ${id} is not base64`);
    }
    if (raw.byteLength !== 32) {
      throw new KeyringError(`ENCRYPTION_KEYS: key ${id} is ${raw.byteLength} bytes, not 32`);
    }
    const entry: RingKey = {
      id,
      key: crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
      bookmarkKey: bookmarkKeyOf(raw),
    };
    byId.set(id, entry);
    return entry;
  });
  return { current: entries[0] as RingKey, byId };
}

/**
 * Parses `ENCRYPTION_KEYS`: `id:base64key` pairs, comma separated. The first key encrypts;
 * every listed key decrypts, which is how a key is rotated (docs/operations.md). A keyring that
 * could seal with a key decryption never picks (a duplicate id), or is otherwise malformed,
 * throws KeyringError on every use: nothing is sealed or opened with it.
 */
function keyring(spec: string): Keyring {
  let ring = keyrings.get(spec);
  if (!ring) {
    try {
      ring = parseKeyring(spec);
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      ring = error;
    }
    keyrings.set(spec, ring);
  }
  if (ring instanceof KeyringError) throw ring;
  return ring;
}

/** Throws KeyringError when `spec` is not a usable keyring (deploy and readiness checks). */
export function checkKeyring(spec: string): { keyIds: string[]; current: string } {
  const ring = keyring(spec);
  return { keyIds: [...ring.byId.keys()], current: ring.current.id };
}

// Formats: `<keyId>.<iv>.<ct>` (legacy, no additional data: still opened, in any column, until
// `admin reseal` re-seals it) and `v2.<keyId>.<iv>.<ct>` (additional data: the column's name).
// A sealed bookmark is `<keyId>.<iv>.<ct>` under the key's bookmark key.
const VERSION = "v2";

function gcm(iv: Uint8Array<ArrayBuffer>, aad: string | undefined) {
  return aad === undefined
    ? { name: "AES-GCM", iv }
    : { name: "AES-GCM", iv, additionalData: encoder.encode(aad) };
}

/** AES-256-GCM with a random 96-bit IV: `<keyId>.<iv b64url>.<ciphertext b64url>`. */
async function seal(
  entry: RingKey,
  key: Promise<CryptoKey>,
  plaintext: string,
  aad?: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(gcm(iv, aad), await key, encoder.encode(plaintext));
  return `${entry.id}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

/** Opens `<keyId>.<iv>.<ct>` with the key `pick` chooses from the ring entry it names. */
async function open(
  keysSpec: string,
  parts: string[],
  pick: (entry: RingKey) => Promise<CryptoKey>,
  aad?: string,
): Promise<string> {
  const [keyId, iv, data] = parts;
  const entry = keyId === undefined ? undefined : keyring(keysSpec).byId.get(keyId);
  if (!entry || !iv || !data || parts.length !== 3)
    throw new Error(`no decryption key for sealed value (key ${keyId})`);
  return decoder.decode(
    await crypto.subtle.decrypt(gcm(base64ToBytes(iv), aad), await pick(entry), base64ToBytes(data)),
  );
}

/** Seals `plaintext` for `column` (additional data) under the first key: `v2.<keyId>.<iv>.<ct>`. */
export async function encryptSecret(
  keysSpec: string,
  plaintext: string,
  column: SealedColumn,
): Promise<string> {
  const { current } = keyring(keysSpec);
  return `${VERSION}.${await seal(current, current.key, plaintext, aadOf(column))}`;
}

/** Opens a value sealed for `column` (or a legacy one, sealed for no column). */
export function decryptSecret(keysSpec: string, sealed: string, column: SealedColumn): Promise<string> {
  const parts = sealed.split(".");
  const bound = parts[0] === VERSION;
  return open(keysSpec, bound ? parts.slice(1) : parts, (e) => e.key, bound ? aadOf(column) : undefined);
}

/** Whether `sealed` is already in the current form: bound to its column, under the first key. */
export function isCurrentlySealed(keysSpec: string, sealed: string): boolean {
  return sealed.startsWith(`${VERSION}.${keyring(keysSpec).current.id}.`);
}

/** Seals an `X-D1-Bookmark` value under the bookmark key derived from the first key. */
export async function sealBookmarkValue(keysSpec: string, bookmark: string): Promise<string> {
  const { current } = keyring(keysSpec);
  return seal(current, current.bookmarkKey, bookmark);
}

/** Opens a sealed `X-D1-Bookmark`; throws when it is not one of ours. */
export function openBookmarkValue(keysSpec: string, sealed: string): Promise<string> {
  return open(keysSpec, sealed.split("."), (e) => e.bookmarkKey);
}
