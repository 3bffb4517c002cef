import { Scalar } from "@scalar/hono-api-reference";
import { SCALAR_BUNDLE_PATH } from "./assets";
import { brandingRouter } from "./branding/branding.index";
import { LOGO_UPLOAD_PATH } from "./branding/branding.routes";
import { MAX_LOGO_BYTES } from "./branding/logo";
import { databaseFor } from "./db/client";
import { BOOKMARK_HEADER, openBookmark, RequestDatabase, readsReplicas, sealBookmark } from "./db/session";
import { invitationsRouter } from "./invitations/invitations.index";
import { invitePage } from "./invite/invite.page";
import { encryptionKeysOf, readConfig } from "./lib/config";
import { checkKeyring, decryptSecret, encryptSecret, randomToken, SEALED_COLUMNS } from "./lib/crypto";
import { noRoute } from "./lib/errors";
import { errorJsonResponse, handleError } from "./lib/errors-handler";
import { createRouter } from "./lib/openapi";
import { KeyCache, requireApiKey } from "./middleware/auth";
import { emptyBodyAsEmptyObject, limitBody, limitBodyTo } from "./middleware/body";
import { idempotency } from "./middleware/idempotency";
import { methodNotAllowed } from "./middleware/method-not-allowed";
import { assignRequestId, requestLog } from "./middleware/observability";
import type { MetaOptions } from "./onboarding/meta-client";
import { onboardingRouter } from "./onboarding/onboarding.index";
import { limitPerAddress, limitPerProject, RateLimitViews } from "./rate-limit/rate-limit.middleware";
import { type RateLimitSettings, rateLimitSettings } from "./rate-limit/settings";
import { sendersRouter } from "./senders/senders.index";
import { dispatchOutboxAfterResponse } from "./webhooks/dispatch.middleware";
import { webhooksRouter } from "./webhooks/webhooks.index";

export interface AppOptions {
  /** Clock in Unix milliseconds; tests pass a controllable one. */
  now?: () => number;
  /** Overrides of the vars-configured rate limits (tests use small ones). */
  rateLimits?: Partial<RateLimitSettings>;
  /** How the flow endpoints reach Meta: tests pass their own fake, live fetch, timeouts. */
  meta?: MetaOptions;
}

export const API_VERSION = "0.2.0";

export function createApp(options: AppOptions = {}) {
  const now = options.now ?? Date.now;
  const app = createRouter();
  // Per-isolate memory (one app per isolate): API keys recently looked up, and the last
  // answer of each rate-limit counter.
  const keys = new KeyCache();
  const views = new RateLimitViews();

  app.use("*", assignRequestId);
  app.use("*", requestLog);
  app.use("*", async (c, next) => {
    // One D1 session per request, shared by middleware and handlers: /v1 reads may come from a
    // replica, with read-after-write kept (src/db/session.ts, docs/operations.md).
    const replica = readsReplicas(c.req.method, c.req.path);
    // The API and the invite link need the keyring: an unusable one refuses them (500,
    // logged as keyring_invalid) before any work, rather than failing some rows silently.
    const keyed = c.req.path.startsWith("/v1/") || c.req.path.startsWith("/invite/");
    const encryptionKeys = keyed ? encryptionKeysOf(c.env) : c.env.ENCRYPTION_KEYS;
    const bookmark =
      replica && encryptionKeys ? await openBookmark(encryptionKeys, c.req.header(BOOKMARK_HEADER)) : null;
    // Replica bookkeeping runs on the wall clock: it is about real lag, not business time.
    const database = new RequestDatabase(databaseFor(c.env, c.req.raw), {
      replica,
      bookmark,
      projectId: () => c.get("projectId"),
      now: Date.now(),
    });
    c.set("database", database);
    c.set("db", database.db);
    c.set("now", now);
    c.set("rateLimits", { ...rateLimitSettings(c.env), ...options.rateLimits });
    c.set("meta", options.meta ?? {});
    await next();
    database.finish(c.get("projectId"), Date.now());
    const latest = database.bookmark();
    if (latest !== null && encryptionKeys && c.req.path.startsWith("/v1/")) {
      c.res.headers.set(BOOKMARK_HEADER, await sealBookmark(encryptionKeys, latest));
    }
  });
  // Queues the webhook outbox after the response (waitUntil) of any request that may change a status.
  app.use("*", dispatchOutboxAfterResponse);

  // Order matters: authenticate (a key lookup is first paid for by the client address), count
  // the request against its project (in steady state without waiting for the counter,
  // src/rate-limit), refuse oversized bodies before reading them, then let Idempotency-Key
  // replay or claim before any work. Every response then carries the rate-limit headers,
  // errors included.
  const limitLogo = limitBodyTo(MAX_LOGO_BYTES);
  app.use("/v1/*", requireApiKey(keys, views), limitPerProject(views), (c, next) =>
    c.req.path === LOGO_UPLOAD_PATH ? limitLogo(c, next) : limitBody(c, next),
  );
  // Only create reads a body (optional JSON); cancel's body, if any, is ignored.
  app.use("/v1/invitations", emptyBodyAsEmptyObject);
  app.use("/v1/*", idempotency);
  // The invite link's flow endpoints: JSON bodies (start's is optional), capped like /v1's.
  app.use("/invite/:token/:step", limitBody);
  app.use("/invite/:token/start", emptyBodyAsEmptyObject);
  // Everything outside /v1 (docs, the invite link, unknown paths) is counted per address.
  const perAddress = limitPerAddress(views);
  app.use("*", async (c, next) => (c.req.path.startsWith("/v1/") ? next() : perAddress(c, next)));
  // Before the invitations router: /v1/invitations/webhook is not an {invitationId}.
  app.route("/", webhooksRouter);
  // Likewise /v1/invitations/branding.
  app.route("/", brandingRouter);
  app.route("/", invitationsRouter);
  app.route("/", sendersRouter);
  app.route("/", onboardingRouter);
  app.route("/", invitePage);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A project API key (`zv_live_…`, or `zv_test_…` for test mode), sent as `Authorization: Bearer <key>`.",
  });
  app.doc("/openapi.json", (c) => ({
    openapi: "3.0.3",
    info: {
      title: "Zavu Unified Messaging Layer API: partner invitations",
      version: API_VERSION,
      description:
        "Partner invitations: create a link for a client to connect WhatsApp (Embedded Signup) or a Facebook Page (Messenger); list, read and cancel them. Compatible with Zavu's API 0.2.0 and `@zavudev/sdk`.\n\nEvery error is the `Error` body. Every `/v1` response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix ms); a 429 also `Retry-After` (seconds). Every response carries `X-Request-Id`. POSTs accept `Idempotency-Key`. `/v1` responses carry `X-D1-Bookmark`, an opaque token: a client that sends it back on its next request reads at least what that response saw (optional: without it, a get or list right after your own write still sees it).",
    },
    // Invitations first: the webhook routes are registered before them (routing), not to lead the docs.
    tags: [
      { name: "Invitations", description: "Partner invitations: create, list, read, cancel." },
      {
        name: "Branding",
        description: "Your name, colour, logo and links on the invite page, per mode.",
      },
      {
        name: "Webhooks",
        description:
          "Status changes of invitations, POSTed to your endpoint, signed (`invitation.status_changed`).",
      },
    ],
    servers: [{ url: new URL(c.req.url).origin }],
    security: [{ bearerAuth: [] }],
  }));
  // The page talks to this Worker only. The Scalar bundle is a static file on this origin
  // (wrangler.toml [assets], generated by scripts/docs-assets.ts), not a CDN's. Scalar's web fonts, its AI agent
  // and its developer toolbar (both on by default on localhost) call scalar.com: the page uses
  // system fonts and shows neither, so it is the same locally and deployed.
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "Partner invitations API",
      cdn: SCALAR_BUNDLE_PATH,
      withDefaultFonts: false,
      agent: { disabled: true },
      showDeveloperTools: "never",
    }),
  );

  // Readiness: what a deploy checks after it (scripts/deploy.ts). Secrets are not readable
  // outside the Worker, so the Worker itself proves its keyring: parsed, and a probe sealed
  // and opened in every sealed column. 200, or the 500 of an unusable keyring (logged).
  app.get("/ready", async (c) => {
    const { encryptionKeys } = readConfig(c.env, c.req.url);
    for (const column of SEALED_COLUMNS) {
      const probe = randomToken(8);
      if (
        (await decryptSecret(encryptionKeys, await encryptSecret(encryptionKeys, probe, column), column)) !==
        probe
      )
        throw new Error(`keyring round trip failed for ${column}`);
    }
    return c.json({ status: "ready", encryptionKeyId: checkKeyring(encryptionKeys).current });
  });

  const notAllowed = methodNotAllowed(app.routes);
  app.notFound((c) => errorJsonResponse(c, notAllowed(c) ?? noRoute(c.req.method, c.req.path)));
  app.onError(handleError);
  return app;
}
