import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type AppOptions, createApp } from "../../src/app";
import { BASE } from "../support/api";

/** A Worker app with its own options (clock, small rate limits), called like the real one. */
export function appWith(options: AppOptions) {
  const app = createApp(options);
  return async (path: string, init: RequestInit & { apiKey?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}
