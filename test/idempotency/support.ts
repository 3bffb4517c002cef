import { expect } from "vitest";
import {
  instrumentedApp,
  instrumentedEnv,
  isOutboxDispatch,
  sequentialDepth,
} from "../support/instrumented-env";

/**
 * The app, warmed up for `apiKey`, on an instrumented env where `compete` runs (through the real
 * Worker, on the real D1) just before the request's second round trip: its write with the
 * remembered answer. `now` is the raced app's clock, when it must differ from the real one.
 */
export async function withChangeBeforeTheWrite(
  apiKey: string,
  compete: () => Promise<void>,
  options: { now?: () => number } = {},
) {
  let armed = true;
  const { env: racy, calls } = instrumentedEnv({
    d1: ({ what, sql, forward }) => {
      if (!armed || what !== "batch" || !sql.some((q) => q.startsWith('update "idempotency_keys"'))) {
        return undefined;
      }
      armed = false;
      return compete().then(forward);
    },
  });
  const fetchApp = instrumentedApp(options.now ? { now: options.now } : {}, racy);
  // Steady state: this isolate has looked the key up and holds an allowance.
  expect((await fetchApp("/v1/invitations?limit=1", { apiKey })).status).toBe(200);
  calls.length = 0;
  return {
    fetchApp,
    /** D1 round trips in sequence since the last call (the outbox dispatch aside). */
    roundTrips: () => {
      const depth = sequentialDepth(calls.filter((c) => !isOutboxDispatch(c)));
      calls.length = 0;
      return depth;
    },
    calls,
  };
}
