import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { apiKeys, type KeyMode } from "../db/schema";
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
 * for at most this long on isolates that used it recently (docs/api.md).
 */
export const KEY_CACHE_TTL_MS = 30_000;
const KEY_CACHE_MAX_ENTRIES = 1_000;

interface CachedKey {
  projectId: string;
  /** Test keys (`zv_test_…`) make test-mode invitations (src/meta/config.ts). */
  mode: KeyMode;
  until: number;
}

/**
 * Key lookups remembered per isolate, so a steady client costs no D1 round trip, nor even a
 * hash, for authentication. Entries are keyed by the presented key itself: only in this
 * isolate's memory (which holds every request's key anyway), for at most the TTL, never
 * logged or stored; the database keeps only SHA-256. Bounded: the oldest entry goes first.
 * Only active keys are remembered; unknown and revoked ones are looked up every time, and
 * those lookups are limited per address.
 */
export class KeyCache {
  private readonly entries = new Map<string, CachedKey>();

  get(key: string, now: number): CachedKey | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.until > now) return entry;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: Omit<CachedKey, "until">, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= KEY_CACHE_MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { ...value, until: now + KEY_CACHE_TTL_MS });
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
    const wellFormed = key !== undefined && API_KEY_PATTERN.test(key) ? key : undefined;
    let found = wellFormed === undefined ? undefined : keys.get(wellFormed, now);
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
      if (wellFormed === undefined) throw unauthorized("Invalid API key", limitHeaders);
      const hash = await sha256Hex(wellFormed);
      const [row] = await c
        .get("db")
        .select({ projectId: apiKeys.projectId, revokedAt: apiKeys.revokedAt, mode: apiKeys.mode })
        .from(apiKeys)
        .where(eq(apiKeys.keyHash, hash))
        .limit(1);
      if (!row) throw unauthorized("Invalid API key", limitHeaders);
      if (row.revokedAt !== null) throw unauthorized("This API key has been revoked", limitHeaders);
      found = { projectId: row.projectId, mode: row.mode, until: 0 };
      keys.set(wellFormed, found, now);
    }
    c.set("projectId", found.projectId);
    c.set("keyMode", found.mode);
    await next();
  };
}

declare module "../lib/context" {
  interface AppVariables {
    /** The mode of the authenticated API key (set on `/v1`). */
    keyMode: KeyMode;
  }
}
