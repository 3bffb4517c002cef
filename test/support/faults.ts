/** Helpers for tests that inject D1 faults through test/support/instrumented-env.ts. */

/** The JSON log lines of `event` that a `console` spy saw. */
export function logged(spy: { mock: { calls: unknown[][] } }, event: string): Record<string, unknown>[] {
  return spy.mock.calls
    .map((args) => {
      try {
        return JSON.parse(String(args[0])) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((line) => line.event === event);
}

/** A D1 fault: the first `times` calls whose SQL `matches` fail with `message`. */
export function failing(
  matches: (sql: string[]) => boolean,
  message: string,
  times = Number.POSITIVE_INFINITY,
) {
  const state = { left: times, attempts: 0 };
  const hook = ({ sql }: { sql: string[] }) => {
    if (!matches(sql)) return undefined;
    state.attempts++;
    if (state.left <= 0) return undefined;
    state.left--;
    return Promise.reject(new Error(message));
  };
  return Object.assign(hook, { state });
}

/** A transient D1 error, as the platform words it. */
export const LOST = "D1_ERROR: Network connection lost.";

/** A create's request, with an Idempotency-Key if given. */
export const create = (key?: string): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...(key ? { "Idempotency-Key": key } : {}) },
  body: JSON.stringify({ clientName: "Acme" }),
});
