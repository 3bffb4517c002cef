import { DurableObject } from "cloudflare:workers";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the current window ends and the count starts again. */
  resetAt: number;
}

/**
 * One counter per subject (`project:<id>` or `ip:<address>`), a fixed window of `windowMs`.
 *
 * Why a Durable Object: the contract wants an exact `X-RateLimit-Remaining` on every
 * response. The Workers Rate Limiting binding answers only allowed/denied, per location,
 * eventually consistent; a D1 counter would put a write on the single primary, on one hot
 * row, in front of every request. A Durable Object per subject counts exactly, in memory, in
 * one place, with its SQLite-backed storage (synchronous KV) keeping the count across
 * evictions.
 */
export class RateLimiter extends DurableObject<Env> {
  consume(limit: number, windowMs: number, now: number): RateLimitDecision {
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    const saved = this.ctx.storage.kv.get<{ window: number; count: number }>("window");
    const count = saved && saved.window === window ? saved.count : 0;
    if (count >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    this.ctx.storage.kv.put("window", { window, count: count + 1 });
    return { allowed: true, limit, remaining: limit - count - 1, resetAt };
  }
}
