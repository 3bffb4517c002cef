import { Scalar } from "@scalar/hono-api-reference";
import { requestId } from "hono/request-id";
import { createDb } from "./db/client";
import { invitationsRouter } from "./invitations/invitations.index";
import { ApiError } from "./lib/errors";
import { errorResponse, handleError } from "./lib/errors-handler";
import { createRouter } from "./lib/openapi";
import { requireApiKey } from "./middleware/auth";
import { emptyBodyAsEmptyObject, limitBody } from "./middleware/body";
import { requestLog } from "./middleware/observability";

export interface AppOptions {
  /** Clock in Unix milliseconds; tests pass a controllable one. */
  now?: () => number;
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
    await next();
  });

  app.use("/v1/*", limitBody, emptyBodyAsEmptyObject, requireApiKey);
  app.route("/", invitationsRouter);

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
        "Partner invitations: create a link for a client to connect WhatsApp (Embedded Signup) or a Facebook Page (Messenger); list, read and cancel them. Compatible with Zavu's API 0.2.0 and `@zavudev/sdk`.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
    security: [{ bearerAuth: [] }],
  }));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Partner invitations API" }));

  app.notFound((c) =>
    errorResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError(handleError);
  return app;
}
