import type { Caller } from "../support/app";

/**
 * The median time of each GET in `paths` (name -> path) through `call`, measured round-robin
 * (one of each per round) so that load from elsewhere on the machine lands on all of them alike.
 * `check` throws on an answer that is not the one measured (a failed or short page).
 */
export async function medianMs(
  call: Caller,
  apiKey: string,
  paths: Record<string, string>,
  runs: number,
  check: (name: string, res: Response, body: unknown) => void,
): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, path] of Object.entries(paths)) {
      const started = performance.now();
      const res = await call(path, { apiKey });
      const body: unknown = await res.json();
      times[name]?.push(performance.now() - started);
      check(name, res, body);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, list]) => {
      list.sort((a, b) => a - b);
      return [name, Number((list[Math.floor(list.length / 2)] ?? Number.NaN).toFixed(2))];
    }),
  );
}
