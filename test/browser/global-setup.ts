/**
 * Once per browser-suite run (Node side): a real local Worker, as `wrangler dev` runs it, on a
 * free port with its own temporary state. The D1 migrations are applied to that state with
 * `wrangler d1 migrations apply --local --persist-to`, and a project with a live and a test API
 * key is created the way `npm run dev` creates its development key. Tests get the origin and
 * keys via inject().
 *
 * The Worker runs with Meta configured (app id, both configuration ids, secret), its Graph API
 * URL pointing at the fake of Meta served on 127.0.0.1 (support/fake-graph-server.ts). So one
 * Worker serves both kinds of page: an invitation made with the test key is in test mode (the
 * in-process fake, no Meta in the browser), one made with the live key runs Meta's SDK (stubbed
 * in the browser by the tests) and the Graph calls go to the fake over HTTP.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { unstable_startWorker } from "wrangler";
import { applyMigrations, type D1Target, executeSql, sqlString } from "../../scripts/d1";
import { buildDocsAssets } from "../../scripts/docs-assets";
import { newApiKey, newProject } from "../../src/projects/provisioning";
import { assertChromiumInstalled } from "./browser";
import { startFakeGraph } from "./support/fake-graph-server";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Worker's origin, e.g. http://localhost:34567 */
    baseUrl: string;
    /** A live key: its invitations run Meta's (stubbed) SDK against the fake Graph API. */
    apiKey: string;
    /** A test key (`api_keys.mode = 'test'`): its invitations are in test mode. */
    testApiKey: string;
    projectName: string;
    /** The fake Graph API's origin (GET /__calls lists the calls it has seen). */
    fakeGraphUrl: string;
    /** The Meta app the Worker is configured with. */
    meta: { appId: string; configId: string; messengerConfigId: string; graphVersion: string };
  }
}

const PROJECT_NAME = "Browser Test Agency";
const META = {
  appId: "4242424242424242",
  configId: "cfg-whatsapp-browser",
  messengerConfigId: "cfg-pages-browser",
  graphVersion: "v23.0",
};
const META_APP_SECRET = "browser-suite-app-secret";
const STEP_TIMEOUT_MS = 60_000;

function within<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`browser suite setup: ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export default async function setup(project: TestProject) {
  // Fail (not skip) at once, before any work, when there is no browser to drive.
  assertChromiumInstalled();
  buildDocsAssets();

  const persistTo = mkdtempSync(path.join(os.tmpdir(), "browser-test-state-"));
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  let fakeGraph: Awaited<ReturnType<typeof startFakeGraph>> | undefined;
  const teardown = async () => {
    if (worker) await within(worker.dispose(), "stopping the Worker").catch(() => {});
    if (fakeGraph) await within(fakeGraph.close(), "stopping the fake Graph API").catch(() => {});
    rmSync(persistTo, { recursive: true, force: true });
  };

  try {
    const target: D1Target = { remote: false, persistTo, timeoutMs: STEP_TIMEOUT_MS };
    applyMigrations(target);
    const now = Date.now();
    const prj = newProject(PROJECT_NAME, now);
    const key = await newApiKey(prj.id, now, "browser-tests");
    const testKey = await newApiKey(prj.id, now, "browser-tests-test-mode", "test");
    const keyRow = (row: typeof key.row) =>
      `(${sqlString(row.id)}, ${sqlString(prj.id)}, ${sqlString(row.keyHash)}, ${sqlString(row.keyPrefix)},
        ${sqlString(row.name ?? "")}, ${sqlString(row.mode ?? "live")}, ${now})`;
    executeSql(
      target,
      `INSERT INTO projects (id, name, created_at) VALUES (${sqlString(prj.id)}, ${sqlString(PROJECT_NAME)}, ${now});
       INSERT INTO api_keys (id, project_id, key_hash, key_prefix, name, mode, created_at)
       VALUES ${keyRow(key.row)}, ${keyRow(testKey.row)};`,
    );
    fakeGraph = await within(startFakeGraph(META.appId, META_APP_SECRET), "starting the fake Graph API");

    const root = path.join(import.meta.dirname, "..", "..");
    const started = unstable_startWorker({
      config: path.join(root, "wrangler.toml"),
      sendMetrics: false,
      bindings: {
        // Test-only secrets (the same as the workerd suite's), so a developer's .dev.vars is
        // not needed and does not matter.
        TOKEN_HASH_KEY: { type: "secret_text", value: "dGVzdC1vbmx5LXRva2VuLWhhc2gta2V5LTMyLWJ5dGU=" },
        ENCRYPTION_KEYS: {
          type: "secret_text",
          value: "test1:dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=",
        },
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE: { type: "plain_text", value: "1000000" },
        META_APP_ID: { type: "plain_text", value: META.appId },
        META_CONFIG_ID: { type: "plain_text", value: META.configId },
        META_MESSENGER_CONFIG_ID: { type: "plain_text", value: META.messengerConfigId },
        META_GRAPH_VERSION: { type: "plain_text", value: META.graphVersion },
        META_GRAPH_URL: { type: "plain_text", value: fakeGraph.url },
        // Meta's OAuth dialog (the full-page redirect) is the fake's too.
        META_DIALOG_URL: { type: "plain_text", value: fakeGraph.url },
        META_APP_SECRET: { type: "secret_text", value: META_APP_SECRET },
      },
      dev: {
        // A dev registry of its own, not a developer's running `wrangler dev`.
        registry: path.join(persistTo, "registry"),
        persist: persistTo,
        server: { hostname: "localhost" },
        inspector: false,
        watch: false,
        liveReload: false,
        logLevel: "warn",
      },
    });
    worker = await within(started, "starting the Worker");
    await within(worker.ready, "starting the Worker");
    const url = await within(worker.url, "starting the Worker");

    project.provide("baseUrl", url.origin);
    project.provide("apiKey", key.apiKey);
    project.provide("testApiKey", testKey.apiKey);
    project.provide("projectName", PROJECT_NAME);
    project.provide("fakeGraphUrl", fakeGraph.url);
    project.provide("meta", META);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
