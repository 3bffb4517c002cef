import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { addressSubject } from "./client-address";
import type { RateLimitDecision } from "./rate-limiter";

/**
 * Counting without waiting. Each counter lives in a Durable Object (./rate-limiter.ts), which
 * may be far away; a request should not wait for it in front of its D1 work. So each isolate
 * remembers the last answer per subject and the requests it has in flight: while that says
 * there is room, the request goes ahead and the count runs beside it; when it says the limit
 * is near (or the isolate knows nothing yet), the request waits for the count first.
 *
 * Within one isolate the limit is exact. Isolates serving the same project at once can each
 * let through the requests they have in flight on a stale view: a burst can pass the limit by
 * at most that many, and then every isolate waits. The counter stays exact, so
 * `X-RateLimit-Remaining` is the counter's own answer.
 *
 * The counter failing or taking longer than `budgetMs` never fails the request: it goes ahead
 * with a warning in the log, and the headers show this isolate's estimate.
 */
export class RateLimitViews {
  private readonly views = new Map<string, { decision: RateLimitDecision; inFlight: number }>();
  private readonly blocked = new Map<string, number>();

  constructor(private readonly maxEntries = 2_000) {}

  /** Requests this isolate may still start for `subject` without asking the counter first. */
  room(subject: string, limit: number, now: number): number {
    const view = this.views.get(subject);
    if (!view) return 0;
    const remaining = now < view.decision.resetAt ? view.decision.remaining : limit;
    return remaining - view.inFlight;
  }

  view(subject: string) {
    let view = this.views.get(subject);
    if (!view) {
      if (this.views.size >= this.maxEntries) this.views.delete(this.views.keys().next().value as string);
      view = { decision: { allowed: true, limit: 0, remaining: 0, resetAt: 0 }, inFlight: 0 };
      this.views.set(subject, view);
    }
    return view;
  }

  /** An address refused by its counter: refused here too until its window ends. */
  block(subject: string, until: number): void {
    if (this.blocked.size >= this.maxEntries) this.blocked.delete(this.blocked.keys().next().value as string);
    this.blocked.set(subject, until);
  }

  isBlocked(subject: string, now: number): boolean {
    const until = this.blocked.get(subject);
    if (until === undefined) return false;
    if (now < until) return true;
    this.blocked.delete(subject);
    return false;
  }
}


/** One count against `subject`, or null when the counter fails or misses its budget. */
async function consume(
  c: Context<AppEnv>,
  subject: string,
  limit: number,
): Promise<RateLimitDecision | null> {
  const { windowMs, budgetMs } = c.var.rateLimits;
  const started = performance.now();
  let timer: number | undefined;
  try {
    const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(subject));
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budgetMs);
    });
    const decision = await Promise.race([stub.consume(limit, windowMs, c.var.now()), late]);
    if (decision) return decision;
    logEvent("warn", "rate_limiter_unavailable", {
      requestId: c.var.requestId,
      reason: "timeout",
      budgetMs,
    });
  } catch (error) {
    logEvent("warn", "rate_limiter_unavailable", {
      requestId: c.var.requestId,
      reason: "error",
      error: error instanceof Error ? error.message : String(error),
      elapsedMs: Math.round(performance.now() - started),
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return null;
}

function headersOf(decision: RateLimitDecision, now: number): Record<string, string> {
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(decision.resetAt),
  };
  if (!decision.allowed)
    headers["Retry-After"] = String(Math.max(1, Math.ceil((decision.resetAt - now) / 1000)));
  return headers;
}

function tooMany(decision: RateLimitDecision, now: number): ApiError {
  return new ApiError("rate_limited", "Too many requests; retry after the time in Retry-After", {
    details: { limit: decision.limit, resetAt: new Date(decision.resetAt).toISOString() },
    headers: headersOf(decision, now),
  });
}

/** When the counter did not answer: this isolate's view, so the headers are still there. */
function estimate(
  views: RateLimitViews,
  subject: string,
  limit: number,
  c: Context<AppEnv>,
): RateLimitDecision {
  const now = c.var.now();
  const { windowMs } = c.var.rateLimits;
  const remaining = Math.max(0, views.room(subject, limit, now));
  return { allowed: true, limit, remaining, resetAt: (Math.floor(now / windowMs) + 1) * windowMs };
}

function setHeaders(c: Context<AppEnv>, decision: RateLimitDecision): void {
  for (const [name, value] of Object.entries(headersOf(decision, c.var.now())))
    c.res.headers.set(name, value);
}

/**
 * Counts the request against `subject`, concurrently with the work when this isolate knows
 * there is room, first otherwise; refuses with 429 only on the counter's own word.
 */
export async function countRequest(
  c: Context<AppEnv>,
  views: RateLimitViews,
  subject: string,
  limit: number,
  work: () => Promise<void>,
): Promise<void> {
  const view = views.view(subject);
  const optimistic = views.room(subject, limit, c.var.now()) > 0;
  view.inFlight++;
  let decision: RateLimitDecision | null;
  try {
    const counted = consume(c, subject, limit);
    if (optimistic) {
      // Both run; the work is not held back by the counter, nor the answer by the work.
      const [, answer] = await Promise.all([work(), counted]);
      decision = answer;
    } else {
      decision = await counted;
      if (decision && !decision.allowed) {
        view.decision = decision;
        throw tooMany(decision, c.var.now());
      }
      await work();
    }
  } finally {
    view.inFlight--;
  }
  if (decision) view.decision = decision;
  setHeaders(c, decision ? { ...decision, allowed: true } : estimate(views, subject, limit, c));
}

/** Per project, after authentication: counts every /v1 request of the project. */
export function limitPerProject(views: RateLimitViews): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    countRequest(c, views, `project:${c.var.projectId}`, c.var.rateLimits.perProject, async () => {
      await next();
    });
}

/** Per client address, before the work: for unauthenticated routes such as the invite page. */
export function limitPerAddress(views: RateLimitViews): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    countRequest(
      c,
      views,
      `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`,
      c.var.rateLimits.perAddress,
      async () => {
        await next();
      },
    );
}

/**
 * Before an API key is looked up in D1 (a key this isolate has not seen recently, or a
 * malformed or missing one), the client address pays one from its budget, and past it gets a
 * 429 without a lookup, even with a valid key. This slows key guessing without costing a
 * lookup per guess. Returns the decision, whose headers a 401 carries.
 */
export async function chargeKeyLookup(c: Context<AppEnv>, views: RateLimitViews): Promise<RateLimitDecision> {
  const subject = `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`;
  const limit = c.var.rateLimits.perAddress;
  const decision = (await consume(c, subject, limit)) ?? estimate(views, subject, limit, c);
  if (!decision.allowed) {
    views.block(subject, decision.resetAt);
    throw tooMany(decision, c.var.now());
  }
  return decision;
}

/** An address over its lookup budget is refused even with a key this isolate knows. */
export function refuseBlockedAddress(c: Context<AppEnv>, views: RateLimitViews): void {
  const subject = `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`;
  const now = c.var.now();
  if (!views.isBlocked(subject, now)) return;
  const { windowMs } = c.var.rateLimits;
  const resetAt = (Math.floor(now / windowMs) + 1) * windowMs;
  throw tooMany({ allowed: false, limit: c.var.rateLimits.perAddress, remaining: 0, resetAt }, now);
}

export { headersOf as rateLimitHeaders };
