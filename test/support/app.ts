import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type AppOptions, createApp } from "../../src/app";
import { BASE } from "./api";

export type Caller = (path: string, init?: RequestInit & { apiKey?: string }) => Promise<Response>;

/**
 * The Worker's app built with its own options (a chosen clock, small rate limits), on the
 * same env and D1 (or the given bindings), called like the real one.
 */
export function appWith(options: AppOptions, bindings: Env = env): Caller {
  const app = createApp(options);
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}
