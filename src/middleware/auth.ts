import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { apiKeys } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { API_KEY_PATTERN, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import {
  chargeKeyLookup,
  type RateLimitViews,
  refuseBlockedAddress,
} from "../rate-limit/rate-limit.middleware";

const challenge = { "WWW-Authenticate": 'Bearer realm="zavu"' };

/**
 * How long this isolate trusts what it read about a key. A key revoked in D1 keeps working
 * for at most this long on isolates that used it recently (README, "Authentication").
 */
export const KEY_CACHE_TTL_MS = 30_000;
const KEY_CACHE_MAX_ENTRIES = 1_000;

interface CachedKey {
  projectId: string;
  until: number;
}

/**
 * Key lookups remembered per isolate, by the key's SHA-256 (the key itself is not kept), so a
 * steady client costs no D1 round trip for authentication. Bounded: the oldest entry goes first.
 * Only active keys are remembered; unknown and revoked ones are looked up every time, and
 * those lookups are limited per address.
 */
export class KeyCache {
  private readonly entries = new Map<string, CachedKey>();

  get(hash: string, now: number): CachedKey | undefined {
    const entry = this.entries.get(hash);
    if (entry && entry.until > now) return entry;
    if (entry) this.entries.delete(hash);
    return undefined;
  }

  set(hash: string, value: Omit<CachedKey, "until">, now: number): void {
    this.entries.delete(hash);
    if (this.entries.size >= KEY_CACHE_MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(hash, { ...value, until: now + KEY_CACHE_TTL_MS });
  }
}

function unauthorized(message: string, headers: Record<string, string> = {}): ApiError {
  return new ApiError("unauthorized", message, { headers: { ...challenge, ...headers } });
}

/**
 * `Authorization: Bearer <project API key>`: sets `c.get("projectId")`, or answers 401 (or 429
 * for an address past its lookup budget, before any lookup).
 */
export function requireApiKey(keys: KeyCache, views: RateLimitViews): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const now = c.get("now")();
    const key = /^Bearer +(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "")?.[1];
    const hash = key !== undefined && API_KEY_PATTERN.test(key) ? await sha256Hex(key) : undefined;
    let found = hash === undefined ? undefined : keys.get(hash, now);
    if (found) {
      refuseBlockedAddress(c, views);
    } else {
      const limitHeaders = await chargeKeyLookup(c, views);
      if (!c.req.header("Authorization")) {
        throw unauthorized(
          "Missing Authorization header; send 'Authorization: Bearer <API key>'",
          limitHeaders,
        );
      }
      if (key === undefined) {
        throw unauthorized("Malformed Authorization header; expected 'Bearer <API key>'", limitHeaders);
      }
      if (hash === undefined) throw unauthorized("Invalid API key", limitHeaders);
      const [row] = await c
        .get("db")
        .select({ projectId: apiKeys.projectId, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, hash))
        .limit(1);
      if (!row) throw unauthorized("Invalid API key", limitHeaders);
      if (row.revokedAt !== null) throw unauthorized("This API key has been revoked", limitHeaders);
      found = { projectId: row.projectId, until: 0 };
      keys.set(hash, found, now);
    }
    c.set("projectId", found.projectId);
    await next();
  };
}
