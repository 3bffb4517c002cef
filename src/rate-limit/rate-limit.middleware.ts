import type { Context, MiddlewareHandler } from "hono";
import { type AppEnv, waitUntilOf } from "../lib/context";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { addressSubject } from "./client-address";
import type { RateLimitDecision } from "./rate-limiter";

/**
 * Counting without waiting. Each counter lives in a Durable Object (./rate-limiter.ts), which
 * may be far away and costs a call; a request should not wait for it in front of its D1 work,
 * nor pay a call each time. So an isolate takes an allowance from the counter, a twentieth of
 * the limit at a time (at most 50, at least 1), and spends it locally; when half of it is
 * spent it takes more, starting beside the request that noticed, whose response does not wait
 * for it (`waitUntil`): the allowance is for the requests after it. Only an isolate with no
 * allowance left waits for the counter, and only the counter refuses (429).
 *
 * The counter never grants more than the limit, so a project never passes it. What isolates
 * hold and do not spend before the window ends is lost for that window: with many isolates
 * at once a project can be refused a little before its limit. `X-RateLimit-Remaining` is the
 * counter's remaining plus this isolate's allowance: exact while one isolate serves the
 * project, an estimate otherwise. With small limits (under 40) every request asks the counter.
 *
 * A subject the counter refused is refused by this isolate until the counter's window ends,
 * without asking again: a flood costs the counter one call per isolate and window, not one per
 * request (which would also push it towards its budget, and so towards failing open).
 *
 * The counter failing or taking longer than `budgetMs` never fails the request with a 500: a
 * project's request goes ahead with a warning in the log, and the headers show this isolate's
 * estimate. A request without an API key (counted per address: the invite page, the flow
 * endpoints, key lookups) is then counted by this isolate alone, against the same per-window
 * figure (`LocalCounts`), so an outage of the counter does not lift the limit where nobody
 * has authenticated.
 */
interface Allowance {
  /** Requests this isolate may still start in the window without asking. */
  tokens: number;
  /** The counter's remaining after its last grant to this isolate. */
  counterRemaining: number;
  resetAt: number;
  refilling: Promise<void> | null;
}

/**
 * Per-isolate fixed-window counts, used only while the counter is unavailable. Bounded: past
 * `maxEntries` subjects the oldest is forgotten (an attacker rotating addresses evicts its own
 * entries, as with any bounded table; each isolate still refuses a single address's flood).
 */
export class LocalCounts {
  private readonly counts = new Map<string, { window: number; count: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  take(subject: string, limit: number, windowMs: number, now: number): RateLimitDecision {
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    let entry = this.counts.get(subject);
    if (!entry || entry.window !== window) {
      this.counts.delete(subject);
      if (this.counts.size >= this.maxEntries) this.counts.delete(this.counts.keys().next().value as string);
      entry = { window, count: 0 };
      this.counts.set(subject, entry);
    }
    if (entry.count >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    entry.count++;
    return { allowed: true, limit, remaining: limit - entry.count, resetAt };
  }

  get size(): number {
    return this.counts.size;
  }
}

export class RateLimitViews {
  private readonly allowances = new Map<string, Allowance>();
  private readonly blocked = new Map<string, number>();
  /** Counts of requests without an API key while the counter is unavailable. */
  readonly local: LocalCounts;

  constructor(
    private readonly maxEntries = 2_000,
    localEntries = 10_000,
  ) {
    this.local = new LocalCounts(localEntries);
  }

  allowance(subject: string, now: number): Allowance {
    let entry = this.allowances.get(subject);
    if (entry && now >= entry.resetAt) {
      entry.tokens = 0;
      entry.counterRemaining = 0;
    }
    if (!entry) {
      if (this.allowances.size >= this.maxEntries)
        this.allowances.delete(this.allowances.keys().next().value as string);
      entry = { tokens: 0, counterRemaining: 0, resetAt: 0, refilling: null };
      this.allowances.set(subject, entry);
    }
    return entry;
  }

  /** A subject refused by its counter: refused here too until its window ends. */
  block(subject: string, until: number): void {
    this.blocked.delete(subject);
    if (this.blocked.size >= this.maxEntries) this.blocked.delete(this.blocked.keys().next().value as string);
    this.blocked.set(subject, until);
  }

  /** When `subject`'s refusal ends, if it is refused now. */
  blockedUntil(subject: string, now: number): number | undefined {
    const until = this.blocked.get(subject);
    if (until === undefined) return undefined;
    if (now < until) return until;
    this.blocked.delete(subject);
    return undefined;
  }

  isBlocked(subject: string, now: number): boolean {
    return this.blockedUntil(subject, now) !== undefined;
  }
}

/** How much of `limit` an isolate takes at a time. */
export function allowanceSize(limit: number): number {
  return Math.max(1, Math.min(50, Math.floor(limit / 20)));
}

type Grant = RateLimitDecision & { granted: number };

/** Takes `want` from `subject`'s counter, or null when it fails or misses its budget. */
async function take(c: Context<AppEnv>, subject: string, limit: number, want: number): Promise<Grant | null> {
  const { windowMs, budgetMs } = c.get("rateLimits");
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(subject));
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budgetMs);
    });
    const call = stub.take(limit, windowMs, c.get("now")(), want);
    // Past the budget nobody awaits the call: its late failure must not go unhandled.
    call.catch(() => undefined);
    const grant = await Promise.race([call, late]);
    if (grant) return grant;
    logEvent("warn", "rate_limiter_unavailable", {
      requestId: c.get("requestId"),
      reason: "timeout",
      budgetMs,
    });
  } catch (error) {
    logEvent("warn", "rate_limiter_unavailable", {
      requestId: c.get("requestId"),
      reason: "error",
      error: error instanceof Error ? error.message : String(error),
      elapsedMs: Math.round(performance.now() - started),
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return null;
}

/** Asks the counter for more allowance; false when it did not answer. */
async function refill(
  c: Context<AppEnv>,
  entry: Allowance,
  subject: string,
  limit: number,
): Promise<Grant | null> {
  const grant = await take(c, subject, limit, allowanceSize(limit));
  if (grant) {
    if (grant.resetAt !== entry.resetAt) entry.tokens = 0;
    entry.tokens += grant.granted;
    entry.counterRemaining = grant.remaining;
    entry.resetAt = grant.resetAt;
  }
  return grant;
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

function windowEnd(c: Context<AppEnv>): number {
  const { windowMs } = c.get("rateLimits");
  return (Math.floor(c.get("now")() / windowMs) + 1) * windowMs;
}

/** The 429 of a subject this isolate remembers as refused (no call to the counter). */
function refuseIfBlocked(c: Context<AppEnv>, views: RateLimitViews, subject: string, limit: number): void {
  const now = c.get("now")();
  const until = views.blockedUntil(subject, now);
  if (until !== undefined) throw tooMany({ allowed: false, limit, remaining: 0, resetAt: until }, now);
}

/**
 * Without the counter's answer: a request without an API key is counted by this isolate
 * (LocalCounts), a project's goes ahead. Refused here, the subject is remembered as refused
 * for the rest of the window like a refusal of the counter.
 */
function withoutCounter(
  c: Context<AppEnv>,
  views: RateLimitViews,
  subject: string,
  limit: number,
  perAddress: boolean,
): RateLimitDecision | null {
  if (!perAddress) return null;
  const now = c.get("now")();
  const decision = views.local.take(subject, limit, c.get("rateLimits").windowMs, now);
  if (!decision.allowed) {
    views.block(subject, decision.resetAt);
    throw tooMany(decision, now);
  }
  return decision;
}

/**
 * Counts the request against `subject` from this isolate's allowance (taking more first when
 * there is none, after the response when it runs low); refuses with 429 on the counter's word
 * (remembered until the window ends), or, for a per-address subject while the counter is
 * unavailable, on this isolate's own count.
 */
export async function countRequest(
  c: Context<AppEnv>,
  views: RateLimitViews,
  subject: string,
  limit: number,
  work: () => Promise<void>,
  perAddress = false,
): Promise<void> {
  const now = c.get("now")();
  const entry = views.allowance(subject, now);
  let asked = false;
  let fallback: RateLimitDecision | null = null;
  if (entry.tokens === 0) {
    refuseIfBlocked(c, views, subject, limit);
    const grant = await refill(c, entry, subject, limit);
    if (grant && !grant.allowed) {
      views.block(subject, grant.resetAt);
      throw tooMany(grant, now);
    }
    if (!grant) fallback = withoutCounter(c, views, subject, limit, perAddress);
    asked = true;
  }
  if (entry.tokens > 0) entry.tokens--;
  const resetAt = entry.resetAt > now ? entry.resetAt : windowEnd(c);
  const decision = fallback ?? {
    allowed: true,
    limit,
    remaining: entry.counterRemaining + entry.tokens,
    resetAt,
  };
  const size = allowanceSize(limit);
  let beside: Promise<void> | null = null;
  if (!asked && size > 1 && entry.tokens <= size / 2 && !entry.refilling) {
    entry.refilling = refill(c, entry, subject, limit).then(() => {
      entry.refilling = null;
    });
    const waitUntil = waitUntilOf(c);
    // Without an execution context (app.request in a script) it is awaited beside the work.
    if (waitUntil) waitUntil(entry.refilling);
    else beside = entry.refilling;
  }
  await (beside ? Promise.all([work(), beside]) : work());
  for (const [name, value] of Object.entries(headersOf(decision, now))) c.res.headers.set(name, value);
}

/**
 * Per project and mode, after authentication: counts every /v1 request of the project's key
 * mode. Test and live each have the whole budget (as Stripe does): a CI suite on a test key
 * cannot starve production. The live counter keeps its name from before modes had their own.
 */
export function limitPerProject(views: RateLimitViews): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const mode = c.get("keyMode");
    const subject = `project:${c.get("projectId")}${mode === "live" ? "" : `:${mode}`}`;
    return countRequest(c, views, subject, c.get("rateLimits").perProject, async () => {
      await next();
    });
  };
}

/** Per client address, before the work: for unauthenticated routes such as the invite page. */
export function limitPerAddress(views: RateLimitViews): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    countRequest(
      c,
      views,
      `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`,
      c.get("rateLimits").perAddress,
      async () => {
        await next();
      },
      true,
    );
}

/**
 * Before an API key is looked up in D1 (a key this isolate has not seen recently, or a
 * malformed or missing one), the client address pays one from its budget, and past it gets a
 * 429 without a lookup, even with a valid key. This slows key guessing without costing a
 * lookup per guess. Returns the rate-limit headers a 401 carries.
 */
export async function chargeKeyLookup(
  c: Context<AppEnv>,
  views: RateLimitViews,
): Promise<Record<string, string>> {
  const subject = `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`;
  const limit = c.get("rateLimits").perAddress;
  const now = c.get("now")();
  refuseIfBlocked(c, views, subject, limit);
  const grant = await take(c, subject, limit, 1);
  if (grant && !grant.allowed) {
    views.block(subject, grant.resetAt);
    throw tooMany(grant, now);
  }
  return headersOf(grant ?? (withoutCounter(c, views, subject, limit, true) as RateLimitDecision), now);
}

/** An address over its lookup budget is refused even with a key this isolate knows. */
export function refuseBlockedAddress(c: Context<AppEnv>, views: RateLimitViews): void {
  const subject = `ip:${addressSubject(c.req.header("CF-Connecting-IP"))}`;
  const now = c.get("now")();
  if (!views.isBlocked(subject, now)) return;
  throw tooMany(
    { allowed: false, limit: c.get("rateLimits").perAddress, remaining: 0, resetAt: windowEnd(c) },
    now,
  );
}
