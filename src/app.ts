import { Scalar } from "@scalar/hono-api-reference";
import { requestId } from "hono/request-id";
import { createDb } from "./db/client";
import { invitationsRouter } from "./invitations/invitations.index";
import { invitePage } from "./invite/invite.page";
import { ApiError } from "./lib/errors";
import { errorResponse, handleError } from "./lib/errors-handler";
import { createRouter } from "./lib/openapi";
import { requireApiKey } from "./middleware/auth";
import { emptyBodyAsEmptyObject, limitBody } from "./middleware/body";
import { idempotency } from "./middleware/idempotency";
import { methodNotAllowed } from "./middleware/method-not-allowed";
import { requestLog } from "./middleware/observability";
import {
  limitFailedAuthPerAddress,
  limitPerAddress,
  limitPerProject,
  type RateLimitSettings,
  rateLimitSettings,
} from "./rate-limit/rate-limit.middleware";

export interface AppOptions {
  /** Clock in Unix milliseconds; tests pass a controllable one. */
  now?: () => number;
  /** Overrides of the vars-configured rate limits (tests use small ones). */
  rateLimits?: Partial<RateLimitSettings>;
}

export const API_VERSION = "0.2.0";

export function createApp(options: AppOptions = {}) {
  const now = options.now ?? Date.now;
  const app = createRouter();

  app.use("*", requestId({ headerName: "X-Request-Id" }));
  app.use("*", requestLog);
  app.use("*", async (c, next) => {
    // One D1 client per request, shared by middleware and handlers.
    c.set("db", createDb(c.env.DB));
    c.set("now", now);
    c.set("rateLimits", { ...rateLimitSettings(c.env), ...options.rateLimits });
    await next();
  });

  // Order matters: authenticate (failures count against the client address), count the
  // request against its project, refuse oversized bodies before reading them, then let
  // Idempotency-Key replay or claim before any work. Every response then carries the
  // rate-limit headers, errors included.
  app.use(
    "/v1/*",
    limitFailedAuthPerAddress,
    requireApiKey,
    limitPerProject,
    limitBody,
    emptyBodyAsEmptyObject,
    idempotency,
  );
  // Everything outside /v1 (docs, the invite link, unknown paths) is counted per address.
  app.use("*", async (c, next) => (c.req.path.startsWith("/v1/") ? next() : limitPerAddress(c, next)));
  app.route("/", invitationsRouter);
  app.route("/", invitePage);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A project API key (`zv_live_…`), sent as `Authorization: Bearer <key>`.",
  });
  app.doc("/openapi.json", (c) => ({
    openapi: "3.0.3",
    info: {
      title: "Zavu Unified Messaging Layer API: partner invitations",
      version: API_VERSION,
      description:
        "Partner invitations: create a link for a client to connect WhatsApp (Embedded Signup) or a Facebook Page (Messenger); list, read and cancel them. Compatible with Zavu's API 0.2.0 and `@zavudev/sdk`.\n\nEvery error is the `Error` body. Every `/v1` response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix ms); a 429 also `Retry-After` (seconds). Every response carries `X-Request-Id`. POSTs accept `Idempotency-Key`.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
    security: [{ bearerAuth: [] }],
  }));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Partner invitations API" }));

  const notAllowed = methodNotAllowed(app.routes);
  app.notFound((c) =>
    errorResponse(
      c,
      notAllowed(c) ?? new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`),
    ),
  );
  app.onError(handleError);
  return app;
}
