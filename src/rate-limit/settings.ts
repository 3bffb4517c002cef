export interface RateLimitSettings {
  /** Requests per window for one project on /v1. */
  perProject: number;
  /** Requests per window for one client address: unauthenticated routes and key lookups. */
  perAddress: number;
  windowMs: number;
  /** How long a request waits for the counter before it goes ahead without it. */
  budgetMs: number;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** From vars RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_ADDRESS_PER_MINUTE, RATE_LIMIT_BUDGET_MS. */
export function rateLimitSettings(env: Env): RateLimitSettings {
  return {
    perProject: positiveInt(env.RATE_LIMIT_PER_MINUTE, 600),
    perAddress: positiveInt(env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE, 60),
    windowMs: 60_000,
    budgetMs: positiveInt(env.RATE_LIMIT_BUDGET_MS, 50),
  };
}

declare module "../lib/context" {
  interface AppVariables {
    rateLimits: RateLimitSettings;
  }
}
