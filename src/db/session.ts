import { openBookmarkValue, sealBookmarkValue } from "../lib/crypto";
import { createDb, type Db, requestDb } from "./client";

/**
 * D1 read replication (docs/operations.md, "Read replicas"): every request runs on one D1
 * Sessions API session, so reads may come from a replica near the client, with
 * read-after-write kept for clients that never send a bookmark (the official client does not):
 *
 * 1. Anchor. GET/HEAD on /v1 start "first-unconstrained" (any replica); everything else starts
 *    "first-primary" (writes go to the primary anyway, and their checks must not read stale).
 *    A client that sends back `X-D1-Bookmark` from an earlier response starts at that bookmark.
 * 2. Recent writers. After a request of project P wrote, this isolate remembers P's bookmark
 *    (a bounded map). A later read of P in this isolate, once auth has named P, moves to a
 *    session anchored at that bookmark: a replica serves it only if it has caught up.
 * 3. Get falls back. A get that finds nothing on a session that may be a stale replica asks the
 *    primary once before answering 404, so a create is visible to a get in any isolate.
 *
 * Limits: (2) is per isolate. A list from another isolate (another colo, or this colo after an
 * eviction) without a bookmark may be as stale as the replica lag, which is why (1) exists.
 */

/** GETs of /v1 may read replicas; the rest (writes, the invite link) anchor on the primary. */
export function readsReplicas(method: string, path: string): boolean {
  return (method === "GET" || method === "HEAD") && path.startsWith("/v1/");
}

// D1 bookmarks: four hex fields; they sort lexicographically in commit order.
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** Project id -> bookmark after its latest write seen by this isolate (insertion-ordered). */
const recentWrites = new Map<string, { bookmark: string; at: number }>();
export const RECENT_WRITES_CAPACITY = 10_000;
/** After this long a replica has long caught up; the entry only costs memory. */
export const RECENT_WRITE_TTL_MS = 5 * 60_000;

export function recordWrite(projectId: string, bookmark: string, now: number): void {
  recentWrites.delete(projectId);
  recentWrites.set(projectId, { bookmark, at: now });
  if (recentWrites.size > RECENT_WRITES_CAPACITY) {
    const oldest = recentWrites.keys().next().value;
    if (oldest !== undefined) recentWrites.delete(oldest);
  }
}

export function recentWriteBookmark(projectId: string, now: number): string | null {
  const entry = recentWrites.get(projectId);
  if (!entry) return null;
  if (now - entry.at > RECENT_WRITE_TTL_MS) {
    recentWrites.delete(projectId);
    return null;
  }
  return entry.bookmark;
}

/** What another isolate knows: nothing. Tests use it to model a request landing elsewhere. */
export function forgetRecentWrites(): void {
  recentWrites.clear();
}

export function recentWritesSize(): number {
  return recentWrites.size;
}

// A statement that may write: anything but a plain SELECT (drizzle emits lower-case `select`).
const READ_ONLY = /^\s*select\b/i;

/** Each request's drizzle client -> its database, for `mayQueueEvents`. */
const requestOf = new WeakMap<Db, RequestDatabase>();

/**
 * Said by the code that builds a statement which may put an event in the webhook outbox (a
 * status change, a resend): the request it runs in then dispatches the outbox after its
 * response. The repositories know which writes those are; this layer knows no tables. On a
 * client outside a request (cron, scripts) it does nothing: they dispatch themselves.
 */
export function mayQueueEvents(db: Db): void {
  requestOf.get(db)?.noteQueuedEvents();
}

/**
 * One request's database: a drizzle client (`db`) over a D1 session that is chosen lazily, so
 * the first query after auth can still move to a fresher anchor without a round trip.
 */
export class RequestDatabase {
  readonly db: Db;
  /**
   * The same session as a bare D1 surface (`prepare`, `batch`), for statements drizzle cannot
   * batch (raw SQL with parameters): they still run on this request's session and database.
   */
  readonly raw: D1Database;
  private session: D1DatabaseSession;
  private primaryAnchored: boolean;
  private anchor: string | null;
  private checkedRecent = false;
  private wrote = false;
  private queuesEvents = false;
  private used = false;
  private retired: string | null = null;

  constructor(
    private readonly d1: D1Database,
    options: { replica: boolean; bookmark: string | null; projectId: () => string | undefined; now: number },
  ) {
    this.primaryAnchored = !options.replica;
    this.anchor = options.replica ? options.bookmark : null;
    this.session = d1.withSession(
      this.primaryAnchored ? "first-primary" : (this.anchor ?? "first-unconstrained"),
    );
    const current = () => {
      this.used = true;
      if (!this.checkedRecent && !this.primaryAnchored)
        this.moveToRecentWrite(options.projectId(), options.now);
      return this.session;
    };
    const routed = {
      prepare: (sql: string) => {
        if (!READ_ONLY.test(sql)) this.wrote = true;
        return current().prepare(sql);
      },
      batch: <T>(statements: D1PreparedStatement[]) => current().batch<T>(statements),
    };
    this.raw = routed as unknown as D1Database;
    this.db = requestDb(routed as unknown as D1DatabaseSession);
    requestOf.set(this.db, this);
  }

  private moveToRecentWrite(projectId: string | undefined, now: number): void {
    if (projectId === undefined) return;
    this.checkedRecent = true;
    const recent = recentWriteBookmark(projectId, now);
    if (recent === null || later(recent, this.anchor) === this.anchor) return;
    // Reads only so far (auth's key lookup): nothing of this session needs carrying over.
    this.retired = later(this.retired, this.session.getBookmark());
    this.anchor = recent;
    this.session = this.d1.withSession(recent);
  }

  /**
   * Whether this request built a statement that may have added to the webhook outbox (a status
   * change, a resend: `mayQueueEvents`): only then is the outbox worth dispatching after the response.
   */
  get mayHaveQueuedEvents(): boolean {
    return this.queuesEvents;
  }

  noteQueuedEvents(): void {
    this.queuesEvents = true;
  }

  /** Whether a read may have come from a replica that lags the primary. */
  get mayBeStale(): boolean {
    return !this.primaryAnchored && !this.wrote;
  }

  /** Runs `read` again on the primary when the first answer may have come from a stale replica. */
  async onPrimaryIfStale<T>(read: (db: Db) => Promise<T>): Promise<T | undefined> {
    if (!this.mayBeStale) return undefined;
    const primary = this.d1.withSession("first-primary");
    const result = await read(createDb(primary));
    this.retired = later(this.retired, primary.getBookmark());
    return result;
  }

  /** The newest bookmark this request saw, or null when it ran no query. */
  bookmark(): string | null {
    return this.used ? later(this.session.getBookmark(), this.retired) : this.retired;
  }

  /** After the request: remember the project's write so this isolate's next read sees it. */
  finish(projectId: string | undefined, now: number): void {
    const bookmark = this.bookmark();
    if (this.wrote && projectId !== undefined && bookmark !== null) recordWrite(projectId, bookmark, now);
  }
}

/**
 * `X-D1-Bookmark` carries a D1 bookmark sealed (AES-GCM under a key derived from ENCRYPTION_KEYS for this use only, by HKDF): opaque to
 * clients, who learn nothing of the database's write counter, and unforgeable, so a client
 * cannot send D1 a bookmark it never issued. An unreadable value is ignored (the request runs
 * as if it had none): it is a consistency hint, never a reason to fail a request.
 */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/**
 * The last bookmark this isolate sealed, and its sealed form. Reads between two writes all end
 * on the same bookmark, so most responses reuse it instead of paying an AES-GCM seal each.
 * Sending the same ciphertext again only tells a client that nothing was written in between,
 * which the bookmark itself says.
 */
let lastSealed: { keys: string; bookmark: string; sealed: Promise<string> } | undefined;

export function sealBookmark(encryptionKeys: string, bookmark: string): Promise<string> {
  if (lastSealed?.keys === encryptionKeys && lastSealed.bookmark === bookmark) return lastSealed.sealed;
  const sealed = sealBookmarkValue(encryptionKeys, bookmark);
  const entry = { keys: encryptionKeys, bookmark, sealed };
  lastSealed = entry;
  sealed.catch(() => {
    if (lastSealed === entry) lastSealed = undefined;
  });
  return sealed;
}

export async function openBookmark(
  encryptionKeys: string,
  sealed: string | undefined,
): Promise<string | null> {
  if (!sealed || sealed.length > 512) return null;
  try {
    const bookmark = await openBookmarkValue(encryptionKeys, sealed);
    return BOOKMARK.test(bookmark) ? bookmark : null;
  } catch {
    return null;
  }
}

declare module "../lib/context" {
  interface AppVariables {
    db: Db;
    /** The request's D1 session behind `db` (replica routing, bookmarks). */
    database: RequestDatabase;
  }
}
