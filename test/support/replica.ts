import { env } from "cloudflare:workers";

/**
 * D1 read replication modelled on two real local D1 databases: the primary (env.DB) and a
 * replica (env.REPLICA_DB) that holds only what `replicate()` copied into it, i.e. a replica
 * that lags as far as a test wants. Sessions follow D1's documented rules:
 * - "first-primary": the primary;
 * - a bookmark: only an instance at least that fresh may serve it; the replica never is (it
 *   has applied no write of the primary since the copy), so the primary;
 * - "first-unconstrained": the replica, until the session writes; the write goes to the
 *   primary and, by sequential consistency, so does every later query of that session.
 * Every query is logged with the instance that served it. SQL and data are D1's own.
 */
export type Instance = "primary" | "replica";

// Older than any bookmark the primary hands out: what a replica that has applied nothing says.
const STALE_BOOKMARK = "00000000-00000000-00000000-00000000000000000000000000000000";
const READ_ONLY = /^\s*select\b/i;

export interface LaggingD1 {
  db: D1Database;
  /** The instance that served each query, in order. */
  served: Instance[];
  /** The argument of each withSession call, in order. */
  sessions: string[];
}

export function laggingD1(): LaggingD1 {
  const served: Instance[] = [];
  const sessions: string[] = [];
  const onPrimary = (constraint: string): D1DatabaseSession => {
    const session = env.DB.withSession(constraint);
    return {
      prepare: (sql: string) => {
        served.push("primary");
        return session.prepare(sql);
      },
      batch: (statements) => session.batch(statements),
      getBookmark: () => session.getBookmark(),
    } as D1DatabaseSession;
  };
  const replicaFirst = (): D1DatabaseSession => {
    let primary: D1DatabaseSession | null = null;
    return {
      prepare: (sql: string) => {
        if (primary === null && READ_ONLY.test(sql)) {
          served.push("replica");
          return env.REPLICA_DB.prepare(sql);
        }
        primary ??= env.DB.withSession("first-primary");
        served.push("primary");
        return primary.prepare(sql);
      },
      batch: (statements) => (primary ?? env.REPLICA_DB).batch(statements),
      getBookmark: () => primary?.getBookmark() ?? STALE_BOOKMARK,
    } as D1DatabaseSession;
  };
  const db = {
    prepare: (sql: string) => {
      served.push("primary");
      return env.DB.prepare(sql);
    },
    batch: (statements: D1PreparedStatement[]) => env.DB.batch(statements),
    withSession: (constraint = "first-unconstrained") => {
      sessions.push(constraint);
      return constraint === "first-unconstrained" ? replicaFirst() : onPrimary(constraint);
    },
  } as D1Database;
  return { db, served, sessions };
}

const TABLES = [
  ["projects", "id"],
  ["phone_numbers", "project_id"],
  ["api_keys", "project_id"],
  ["invitations", "project_id"],
] as const;

/** The replica catches up with the primary on one project's rows (a snapshot, then it lags). */
export async function replicate(projectId: string): Promise<void> {
  for (const [table, column] of TABLES) {
    const { results } = await env.DB.prepare(`SELECT * FROM ${table} WHERE ${column} = ?`)
      .bind(projectId)
      .all<Record<string, unknown>>();
    for (const row of results) {
      const columns = Object.keys(row);
      await env.REPLICA_DB.prepare(
        `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      )
        .bind(...columns.map((c) => row[c]))
        .run();
    }
  }
}
