import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import type { RateLimitDecision } from "./rate-limiter";

export interface RateLimitSettings {
  /** Requests per window for one project on /v1. */
  perProject: number;
  /** Requests per window for one client address on unauthenticated routes (invite page, 401s). */
  perAddress: number;
  windowMs: number;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** From vars RATE_LIMIT_PER_MINUTE and RATE_LIMIT_PER_ADDRESS_PER_MINUTE (see wrangler.toml). */
export function rateLimitSettings(env: Env): RateLimitSettings {
  return {
    perProject: positiveInt(env.RATE_LIMIT_PER_MINUTE, 600),
    perAddress: positiveInt(env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE, 60),
    windowMs: 60_000,
  };
}

async function consume(c: Context<AppEnv>, subject: string, limit: number): Promise<RateLimitDecision> {
  const settings = c.var.rateLimits;
  const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(subject));
  return stub.consume(limit, settings.windowMs, c.var.now());
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

function setHeaders(c: Context<AppEnv>, decision: RateLimitDecision): void {
  for (const [name, value] of Object.entries(headersOf(decision, c.var.now())))
    c.res.headers.set(name, value);
}

export function clientAddress(c: Context<AppEnv>): string {
  // Set by Cloudflare's edge (and by wrangler dev); a client cannot choose it.
  return c.req.header("CF-Connecting-IP") ?? "unknown";
}

/** Per project, after authentication: counts every /v1 request of the project. */
export const limitPerProject = createMiddleware<AppEnv>(async (c, next) => {
  const decision = await consume(c, `project:${c.var.projectId}`, c.var.rateLimits.perProject);
  if (!decision.allowed) throw tooMany(decision, c.var.now());
  await next();
  setHeaders(c, decision);
});

/** Per client address, before the work: for unauthenticated routes such as the invite page. */
export const limitPerAddress = createMiddleware<AppEnv>(async (c, next) => {
  const decision = await consume(c, `ip:${clientAddress(c)}`, c.var.rateLimits.perAddress);
  if (!decision.allowed) throw tooMany(decision, c.var.now());
  await next();
  setHeaders(c, decision);
});

/**
 * Requests to /v1 that fail authentication count against their address (after the fact: a
 * 401 costs one key lookup). Past the limit they get 429 instead of 401, which slows key
 * guessing and keeps the rate-limit headers on every /v1 response.
 */
export const limitFailedAuthPerAddress = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status !== 401) return;
  const decision = await consume(c, `ip:${clientAddress(c)}`, c.var.rateLimits.perAddress);
  if (!decision.allowed) throw tooMany(decision, c.var.now());
  setHeaders(c, decision);
});
