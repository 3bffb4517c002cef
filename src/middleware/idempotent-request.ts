import { and, eq, exists, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { idempotencyKeys, type KeyMode } from "../db/schema";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import { ApiError } from "../lib/errors";

/** How long a key's response is remembered (and its reuse with another request refused). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim holds its key without a response. A request that dies between claim and
 * response (a disconnect, the CPU limit, a deploy, a failed write) leaves its claim behind;
 * after the lease a retry takes it over instead of getting 409s for 24 hours.
 */
export const IDEMPOTENCY_LEASE_MS = 30_000;

type KeyRow = typeof idempotencyKeys.$inferSelect;
export type BatchItem = Parameters<Db["batch"]>[0][number];

/**
 * One POST's `Idempotency-Key`: its claim, and the statement that records its response.
 * A handler that writes puts `settleStatement` in the same `db.batch` as its write, so the
 * work and the remembered response commit together or not at all; otherwise the middleware
 * records the response after the handler.
 */
export class IdempotentRequest {
  /** Set once claimed: the claim's time, which identifies it (see the guard in `mine`). */
  claimedAt: number | null = null;
  settled = false;

  constructor(
    readonly projectId: string,
    // A key's remembered responses are its mode's: a test key never replays a live answer.
    readonly mode: KeyMode,
    readonly key: string,
    readonly requestHash: string,
    private readonly encryptionKeys: string,
  ) {}

  private where(): SQL | undefined {
    return and(
      eq(idempotencyKeys.projectId, this.projectId),
      eq(idempotencyKeys.mode, this.mode),
      eq(idempotencyKeys.key, this.key),
    );
  }

  /** Only this request's claim, not one that took it over after the lease. */
  private mine(): SQL | undefined {
    return and(
      this.where(),
      eq(idempotencyKeys.state, "in_progress"),
      eq(idempotencyKeys.createdAt, this.claimedAt ?? -1),
      eq(idempotencyKeys.requestHash, this.requestHash),
    );
  }

  /**
   * Claims the key, or reads who holds it, in one round trip, together with `reads` (a
   * handler's own queries, so it needs no round trip of its own before its write).
   */
  async claim<R extends BatchItem[]>(db: Db, now: number, reads: R) {
    const claim = db
      .insert(idempotencyKeys)
      .values({
        projectId: this.projectId,
        mode: this.mode,
        key: this.key,
        requestHash: this.requestHash,
        state: "in_progress",
        createdAt: now,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
      })
      .onConflictDoUpdate({
        target: [idempotencyKeys.projectId, idempotencyKeys.mode, idempotencyKeys.key],
        set: {
          requestHash: this.requestHash,
          state: "in_progress",
          responseStatus: null,
          responseBodyCiphertext: null,
          createdAt: now,
          expiresAt: now + IDEMPOTENCY_TTL_MS,
        },
        // A forgotten key, or a claim whose lease ran out without a response.
        setWhere: or(
          lte(idempotencyKeys.expiresAt, now),
          and(
            eq(idempotencyKeys.state, "in_progress"),
            lte(idempotencyKeys.createdAt, now - IDEMPOTENCY_LEASE_MS),
          ),
        ),
      })
      .returning({ createdAt: idempotencyKeys.createdAt });
    const current = db.select().from(idempotencyKeys).where(this.where()).limit(1);
    const [claimed, [row], ...rest] = (await db.batch([claim, current, ...reads])) as unknown as [
      { createdAt: number }[],
      KeyRow[],
      ...unknown[],
    ];
    if (claimed.length > 0) this.claimedAt = now;
    return { claimed: claimed.length > 0, row, reads: rest };
  }

  /** True while this request's claim holds the key: a condition for its writes. */
  holds(db: Db): SQL {
    return exists(db.select({ one: sql`1` }).from(idempotencyKeys).where(this.mine()));
  }

  /**
   * Records `status` and `body` as this key's response (a 5xx or 429 releases the key), if
   * the claim is still this request's and `onlyIf` holds. The caller sets `settled` once
   * it knows the statement applied.
   */
  async settleStatement(status: number, body: string, db: Db, onlyIf?: SQL): Promise<[BatchItem]> {
    // In an array: a query builder is a thenable, which an async function would run.
    if (status >= 500 || status === 429) return [db.delete(idempotencyKeys).where(and(this.mine(), onlyIf))];
    return [
      db
        .update(idempotencyKeys)
        .set({
          state: "completed",
          responseStatus: status,
          responseBodyCiphertext: await encryptSecret(
            this.encryptionKeys,
            body,
            "idempotency_keys.response_body_ciphertext",
          ),
        })
        .where(and(this.mine(), onlyIf)),
    ];
  }

  /** What an earlier request with this key means for this one: replay, 422, or wait (null). */
  async answerFrom(row: KeyRow, requestId: string): Promise<Response | null> {
    if (row.requestHash !== this.requestHash) {
      throw new ApiError(
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request; use a new key for a new request",
      );
    }
    if (row.state === "completed" && row.responseStatus && row.responseBodyCiphertext) {
      const body = await decryptSecret(
        this.encryptionKeys,
        row.responseBodyCiphertext,
        "idempotency_keys.response_body_ciphertext",
      );
      return new Response(body, {
        status: row.responseStatus,
        headers: {
          "Content-Type": "application/json",
          "Idempotent-Replayed": "true",
          "X-Request-Id": requestId,
        },
      });
    }
    return null;
  }
}

declare module "../lib/context" {
  interface AppVariables {
    /** A POST's `Idempotency-Key` (src/middleware/idempotency.ts), when it has one. */
    idempotency: IdempotentRequest | undefined;
  }
}
