import type { Context } from "hono";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";

interface RouteLike {
  method: string;
  path: string;
}

/**
 * For the app's `notFound`: a known path asked with an unknown method is a 405 with `Allow`,
 * not a 404. Patterns are compiled once from the app's own route table.
 */
export function methodNotAllowed(routes: readonly RouteLike[]) {
  const byPattern = new Map<string, { regex: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue; // middleware
    const entry = byPattern.get(route.path) ?? {
      regex: new RegExp(`^${route.path.replace(/:[^/]+/g, "[^/]+")}/?$`),
      methods: new Set<string>(),
    };
    entry.methods.add(route.method);
    if (route.method === "GET") entry.methods.add("HEAD");
    byPattern.set(route.path, entry);
  }
  return (c: Context<AppEnv>): ApiError | null => {
    const methods = new Set<string>();
    for (const { regex, methods: allowed } of byPattern.values()) {
      if (regex.test(c.req.path)) for (const m of allowed) methods.add(m);
    }
    if (methods.size === 0 || methods.has(c.req.method)) return null;
    const allow = [...methods].sort().join(", ");
    return new ApiError("method_not_allowed", `${c.req.method} is not allowed here; allowed: ${allow}`, {
      headers: { Allow: allow },
      details: { allow: [...methods].sort() },
    });
  };
}
