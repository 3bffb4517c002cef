import { logEvent } from "../lib/log";

/**
 * D1's transient failures (the connection to the database dropped, the database object was
 * reset or overloaded): a retry usually succeeds. Reads are retried once; writes are not,
 * since a write whose answer was lost may have committed, and running it again could act twice.
 */
const TRANSIENT =
  /Network connection lost|internal error|object to be reset|reset because its code was updated|overloaded|timed? ?out|temporarily unavailable/i;
const READ = /^\s*(select|with)\b/i;

export function isTransientD1Error(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (TRANSIENT.test(e.message)) return true;
  }
  return false;
}

async function onceMore<T>(sql: string[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!sql.every((s) => READ.test(s)) || !isTransientD1Error(error)) throw error;
    logEvent("warn", "d1_read_retried", { error: error instanceof Error ? error.message : String(error) });
    return run();
  }
}

class RetryingStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly sql: string,
  ) {}
  bind(...values: unknown[]): RetryingStatement {
    return new RetryingStatement(this.inner.bind(...values), this.sql);
  }
  first<T>(column?: string): Promise<T | null> {
    return onceMore([this.sql], () =>
      column === undefined ? this.inner.first<T>() : this.inner.first<T>(column),
    );
  }
  all<T>(): Promise<D1Result<T>> {
    return onceMore([this.sql], () => this.inner.all<T>());
  }
  raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
    return onceMore([this.sql], () => this.inner.raw<T>(options as { columnNames?: false }));
  }
  run<T>(): Promise<D1Result<T>> {
    return onceMore([this.sql], () => this.inner.run<T>());
  }
}

/** `d1` with transient failures of read-only statements (and read-only batches) retried once. */
export function retryingReads(d1: D1Database): D1Database {
  const wrapped = {
    prepare: (sql: string) => new RetryingStatement(d1.prepare(sql), sql),
    batch: (statements: RetryingStatement[]) =>
      onceMore(
        statements.map((s) => s.sql),
        () => d1.batch(statements.map((s) => s.inner)),
      ),
    exec: (sql: string) => d1.exec(sql),
    dump: () => d1.dump(),
    withSession: (constraint?: string) => d1.withSession(constraint),
  };
  return wrapped as unknown as D1Database;
}
