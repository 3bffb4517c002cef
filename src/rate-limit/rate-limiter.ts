import { DurableObject } from "cloudflare:workers";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the current window ends and the count starts again. */
  resetAt: number;
}

interface Window {
  window: number;
  count: number;
  resetAt: number;
}

/**
 * One counter per subject (`project:<id>`, `project:<id>:test` or `ip:<address or /64>`), a fixed window of `windowMs`.
 *
 * Why a Durable Object: the contract wants an exact `X-RateLimit-Remaining` on every
 * response. The Workers Rate Limiting binding answers only allowed/denied, per location,
 * eventually consistent; a D1 counter would put a write on the single primary, on one hot
 * row, in front of every request. A Durable Object per subject counts exactly, in memory, in
 * one place, with its SQLite-backed storage (synchronous KV) keeping the count across
 * evictions. An alarm at the end of each window deletes that storage, so the objects of
 * addresses seen once do not keep it forever.
 */
export class RateLimiter extends DurableObject<Env> {
  /**
   * Takes up to `want` requests from the current window's `limit` for the caller to spend (an
   * isolate's allowance, src/rate-limit/rate-limit.middleware.ts). `granted` 0 is a refusal.
   */
  take(limit: number, windowMs: number, now: number, want = 1): RateLimitDecision & { granted: number } {
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    const saved = this.ctx.storage.kv.get<Window>("window");
    const count = saved && saved.window === window ? saved.count : 0;
    const granted = Math.max(0, Math.min(want, limit - count));
    if (granted === 0) return { allowed: false, granted, limit, remaining: 0, resetAt };
    // Unconfirmed writes: the answer does not wait for the count to reach disk (the output
    // gate would hold it), at the risk of losing the last few counts if the object crashes.
    void this.ctx.storage.put("window", { window, count: count + granted, resetAt } satisfies Window, {
      allowUnconfirmed: true,
    });
    // One alarm per window: the first count of a window schedules the clean-up after it.
    if (count === 0)
      void this.ctx.storage.setAlarm(Math.max(resetAt, Date.now()), { allowUnconfirmed: true });
    return { allowed: true, granted, limit, remaining: limit - count - granted, resetAt };
  }

  /** The window is over: forget it (a later request starts a new one and a new alarm). */
  override async alarm(): Promise<void> {
    const saved = this.ctx.storage.kv.get<Window>("window");
    if (saved && saved.resetAt > Date.now()) {
      await this.ctx.storage.setAlarm(saved.resetAt);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
