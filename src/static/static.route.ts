import type { Context } from "hono";
import type { AppEnv } from "../lib/context";
import { noRoute } from "../lib/errors";

/**
 * Answers a static path with the static Worker's response, through the STATIC service binding.
 * The request goes as the client sent it, so conditional requests (`If-None-Match`) get its 304
 * and HEAD its headers alone. Its 404 (a file missing from public/, a deploy gone wrong) becomes
 * the contract's `not_found` Error, like any other path without a route here.
 */
export async function fromStaticWorker(c: Context<AppEnv>): Promise<Response> {
  const res = await c.env.STATIC.fetch(c.req.raw);
  if (res.status === 404) {
    await res.body?.cancel();
    throw noRoute(c.req.method, c.req.path);
  }
  // A binding's response has immutable headers; the middleware around this adds X-Request-Id.
  const out = new Response(res.body, res);
  // A script and a stylesheet: a browser must not read them as anything else.
  out.headers.set("X-Content-Type-Options", "nosniff");
  return out;
}
