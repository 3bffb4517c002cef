import type { InvitationRow } from "../db/schema";
import { isTestMode, metaAppSecret, metaConfig } from "../meta/config";
import { createFakeMeta, type FakeMeta } from "../meta/fake";
import { createGraph, DEFAULT_GRAPH_TIMEOUT_MS, type FetchHandler, type Graph } from "../meta/graph";

/** How the flow endpoints reach Meta; tests replace parts of it (AppOptions.meta). */
export interface MetaOptions {
  /** The fake test-mode invitations use; default: one per isolate. */
  fake?: FakeMeta;
  /** `fetch` for live invitations; default: the global fetch. */
  liveFetch?: FetchHandler;
  /** Per Graph call. */
  timeoutMs?: number;
  /** How long a concurrent call waits for the first one's outcome before answering as is. */
  waitMs?: number;
}

// Test mode's Meta for this isolate: codes and tokens live as long as the isolate does, which
// is longer than the ~30 s a code lives.
let isolateFake: FakeMeta | undefined;

/** Where test-mode calls go: never a real host (the fake answers them in-process). */
const FAKE_GRAPH_URL = "https://graph.test-mode.invalid";

/**
 * The Graph client for one invitation: the fake for a test invitation, Meta for a live one.
 * Throws (a configuration error) when a live invitation meets a Worker without META_APP_SECRET.
 */
export function graphFor(
  env: Env,
  invitation: Pick<InvitationRow, "mode">,
  options: MetaOptions,
  requestId: string,
): Graph {
  const config = metaConfig(env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS;
  if (isTestMode(env, invitation)) {
    isolateFake ??= createFakeMeta();
    const fake = options.fake ?? isolateFake;
    return createGraph({
      fetch: fake.fetch,
      graphUrl: FAKE_GRAPH_URL,
      graphVersion: config.graphVersion,
      appId: fake.appId,
      appSecret: fake.appSecret,
      timeoutMs,
      requestId,
    });
  }
  return createGraph({
    fetch: options.liveFetch ?? ((request) => fetch(request)),
    graphUrl: config.graphUrl,
    graphVersion: config.graphVersion,
    appId: config.appId,
    appSecret: metaAppSecret(env),
    timeoutMs,
    requestId,
  });
}

declare module "../lib/context" {
  interface AppVariables {
    /** How the flow endpoints reach Meta (tests swap the fake or the live fetch). */
    meta: MetaOptions;
  }
}
