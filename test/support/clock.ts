/**
 * A clock for tests that count against a rate limit: it runs with real time from the start of
 * the next window, so no window ends while the test runs (a test times out long before a
 * window's minute is up). On the wall clock a test that starts just before a minute turns
 * would see its counts reset, and fail once in many runs.
 */
export function oneWindowClock(windowMs = 60_000): () => number {
  const start = Date.now();
  const base = (Math.floor(start / windowMs) + 1) * windowMs;
  return () => base + (Date.now() - start);
}
