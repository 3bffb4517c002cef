import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type AppOptions, createApp } from "../../src/app";
import { BASE } from "./api";

/** One call that leaves the isolate: a D1 round trip or a rate-limiter Durable Object call. */
export interface RemoteCall {
  kind: "d1" | "do";
  what: string;
  /** The SQL of a D1 call (one per statement of a batch). */
  sql: string[];
  /** Logical time (a counter) of its start and of its answer. */
  start: number;
  end: number;
}

export interface Faults {
  /** Added to every call before it is forwarded (ms), so concurrency shows as overlap. */
  latencyMs?: number;
  /**
   * Replaces a D1 call: return a promise to answer instead (throw to fail it). `forward` runs
   * the call itself, so a fault can also do something first (a competing write) and then let it go.
   */
  d1?: (call: {
    what: string;
    sql: string[];
    forward: () => Promise<unknown>;
  }) => Promise<unknown> | undefined;
  /** Replaces a rate-limiter call; `forward` makes the call itself (to hold it, then let it go). */
  rateLimiter?: (forward: () => Promise<unknown>) => Promise<unknown> | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The test env with its D1 binding (`prepare`, `batch`, `exec`) and the rate limiter's stubs
 * wrapped: every call is recorded with its logical start and end, optionally delayed or
 * replaced by a fault. Nothing else changes: the calls reach the real local D1 and objects.
 */
export function instrumentedEnv(faults: Faults = {}) {
  const calls: RemoteCall[] = [];
  let clock = 0;
  async function record<T>(
    kind: RemoteCall["kind"],
    what: string,
    run: () => Promise<T>,
    sql: string[] = [],
  ): Promise<T> {
    const call: RemoteCall = { kind, what, sql, start: ++clock, end: Number.POSITIVE_INFINITY };
    calls.push(call);
    try {
      if (faults.latencyMs) await sleep(faults.latencyMs);
      return await run();
    } finally {
      call.end = ++clock;
    }
  }
  const d1 = (what: string, sql: string[], run: () => Promise<unknown>) =>
    record("d1", what, () => faults.d1?.({ what, sql, forward: run }) ?? run(), sql);

  const statement = (inner: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = {
      inner,
      sql,
      bind: (...values: unknown[]) => statement(inner.bind(...values), sql),
      first: (column?: string) => d1("first", [sql], () => (column ? inner.first(column) : inner.first())),
      all: () => d1("all", [sql], () => inner.all()),
      raw: (options?: { columnNames?: false }) => d1("raw", [sql], () => inner.raw(options)),
      run: () => d1("run", [sql], () => inner.run()),
    };
    return wrapped as unknown as D1PreparedStatement;
  };
  type Wrapped = D1PreparedStatement & { inner: D1PreparedStatement; sql: string };
  // The app reaches D1 through a Sessions API session per request (src/db/session.ts): its
  // sessions are wrapped the same way, so every query is counted whichever way it goes.
  const queries = (target: D1Database | D1DatabaseSession) => ({
    prepare: (sql: string) => statement(target.prepare(sql), sql),
    batch: (statements: Wrapped[]) =>
      d1(
        "batch",
        statements.map((s) => s.sql),
        () => target.batch(statements.map((s) => s.inner)),
      ),
  });
  const DB = {
    ...queries(env.DB),
    exec: (sql: string) => d1("exec", [sql], () => env.DB.exec(sql)),
    dump: () => env.DB.dump(),
    withSession: (constraint?: D1SessionConstraint | D1SessionBookmark) => {
      const session = env.DB.withSession(constraint);
      return { ...queries(session), getBookmark: () => session.getBookmark() };
    },
  } as unknown as D1Database;

  const RATE_LIMITER = {
    idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = env.RATE_LIMITER.get(id);
      return {
        take: (...args: Parameters<typeof stub.take>) =>
          record(
            "do",
            "take",
            () =>
              (faults.rateLimiter?.(() => stub.take(...args)) ?? stub.take(...args)) as ReturnType<
                typeof stub.take
              >,
          ),
      };
    },
  } as unknown as Env["RATE_LIMITER"];

  return { env: { ...env, DB, RATE_LIMITER } as Env, calls };
}

/**
 * Sequential round trips among `calls`: the longest chain in which each call started after
 * the previous one answered. Calls that overlap (one started while another was pending) do
 * not add to it.
 */
export function sequentialDepth(calls: readonly RemoteCall[]): number {
  const depth = new Map<RemoteCall, number>();
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  for (const call of sorted) {
    const before = sorted.filter((other) => other.end < call.start).map((other) => depth.get(other) ?? 0);
    depth.set(call, 1 + Math.max(0, ...before));
  }
  return Math.max(0, ...depth.values());
}

export type InstrumentedCaller = (
  path: string,
  init?: RequestInit & { apiKey?: string },
) => Promise<Response>;

/** The app with `options`, called on `instrumented` env (one isolate: its caches persist). */
export function instrumentedApp(
  options: AppOptions,
  target: Env,
  /** Called when the response is ready, before the request's waitUntil work is awaited. */
  onResponse?: () => void,
): InstrumentedCaller {
  return callerOf(createApp(options), target, onResponse);
}

/** `app` (a test may add routes to it) called on `target`, like `instrumentedApp`. */
export function callerOf(
  app: ReturnType<typeof createApp>,
  target: Env,
  onResponse?: () => void,
): InstrumentedCaller {
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), target, ctx);
    onResponse?.();
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/**
 * The webhook outbox dispatch (src/webhooks/outbox.ts), which a write's request starts in
 * waitUntil: not part of what the request itself waits for. Its claim is the UPDATE of
 * `invitation_events` by a sub-select of due ids (a resend's own UPDATE names its one id).
 */
export function isOutboxDispatch(call: RemoteCall): boolean {
  return (
    call.kind === "d1" &&
    call.sql.some((q) =>
      /^update "(invitation_events|sender_events)" .* where \("(invitation_events|sender_events)"\."id" in \(select /i.test(
        q,
      ),
    )
  );
}
