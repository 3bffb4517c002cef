import { and, eq, lte, sql } from "drizzle-orm";
import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { Db } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { decryptSecret, encryptSecret, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";

/** How long a key's response is remembered (and its reuse with another request refused). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a retry waits for the first request with its key to finish before a 409. */
const WAIT_FOR_FIRST_MS = 5_000;
const POLL_MS = 50;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function replay(status: number, body: string, requestId: string): Response {
  return new Response(body, {
    status,
    headers: { "Content-Type": "application/json", "Idempotent-Replayed": "true", "X-Request-Id": requestId },
  });
}

/**
 * `Idempotency-Key` on every POST under /v1 (after auth: keys are scoped per project).
 *
 * The first request with a key claims it with one INSERT (or takes over an expired claim);
 * the primary key makes that claim atomic, so of two concurrent requests exactly one runs.
 * Its response (2xx or 4xx) is stored, encrypted, for 24 hours, and the same key with the
 * same method, path and body replays it; with a different request it is a 422
 * `idempotency_key_reused` (not a 409: retrying cannot fix it). A 5xx or 429 releases the
 * claim so a retry can run again. A retry that arrives while the first is still running waits
 * for it, and after 5 s gets a 409 `idempotency_key_in_progress`, which clients retry.
 */
export const idempotency = createMiddleware<AppEnv>((c, next) => withIdempotency(c, next));

async function withIdempotency(c: Context<AppEnv>, next: Next): Promise<void> {
  const key = c.req.header("Idempotency-Key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    const message = "Must be 1 to 255 printable ASCII characters";
    throw new ApiError("invalid_request", `Invalid Idempotency-Key header: ${message}`, {
      details: { fields: { "Idempotency-Key": message } },
    });
  }
  const { db, projectId } = c.var;
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const now = c.var.now();
  const requestHash = await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);

  const [claimed] = await db
    .insert(idempotencyKeys)
    .values({
      projectId,
      key,
      requestHash,
      state: "in_progress",
      createdAt: now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.projectId, idempotencyKeys.key],
      set: {
        requestHash,
        state: "in_progress",
        responseStatus: null,
        responseBodyCiphertext: null,
        createdAt: now,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
      },
      // Only a forgotten (expired) key may be taken over.
      setWhere: lte(idempotencyKeys.expiresAt, now),
    })
    .returning({ key: idempotencyKeys.key });

  if (claimed) {
    await next();
    await settle(db, { projectId, key }, c.res, encryptionKeys);
    return;
  }

  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const [existing] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key)))
      .limit(1);
    // Released by a failed first attempt in the meantime: run this one afresh.
    if (!existing) return withIdempotency(c, next);
    if (existing.requestHash !== requestHash) {
      throw new ApiError(
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request; use a new key for a new request",
      );
    }
    if (existing.state === "completed" && existing.responseStatus && existing.responseBodyCiphertext) {
      c.res = replay(
        existing.responseStatus,
        await decryptSecret(encryptionKeys, existing.responseBodyCiphertext),
        c.var.requestId,
      );
      return;
    }
    if (Date.now() >= deadline) {
      throw new ApiError(
        "idempotency_key_in_progress",
        "A request with this Idempotency-Key is still in progress",
        {
          headers: { "Retry-After": "1" },
        },
      );
    }
    await sleep(POLL_MS);
  }
}

async function settle(db: Db, id: { projectId: string; key: string }, res: Response, encryptionKeys: string) {
  const where = and(eq(idempotencyKeys.projectId, id.projectId), eq(idempotencyKeys.key, id.key));
  if (res.status >= 500 || res.status === 429) {
    await db.delete(idempotencyKeys).where(where);
    return;
  }
  const body = await res.clone().text();
  await db
    .update(idempotencyKeys)
    .set({
      state: "completed",
      responseStatus: res.status,
      responseBodyCiphertext: await encryptSecret(encryptionKeys, body),
    })
    .where(where);
}

/** Forgets keys past their 24 hours, a bounded batch at a time (run by the cron). */
export async function purgeExpiredIdempotencyKeys(db: Db, now: number, limit = 1_000): Promise<number> {
  const expired = db
    .select({ rowid: sql`rowid` })
    .from(idempotencyKeys)
    .where(lte(idempotencyKeys.expiresAt, now))
    .limit(limit);
  const result = await db.run(sql`DELETE FROM ${idempotencyKeys} WHERE rowid IN ${expired}`);
  return result.meta.changes;
}
