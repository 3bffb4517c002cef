import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { lte, type SQL, sql } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { Db } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { describeError, logEvent } from "../lib/log";
import { type BatchItem, IdempotentRequest } from "./idempotent-request";

export { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, IdempotentRequest } from "./idempotent-request";

/**
 * A retry that finds its key claimed waits for the first request, backing off from 50 ms and
 * doubling up to 1 s, about 5 s in all; then it answers 409 `idempotency_key_in_progress`.
 */
export const WAIT_STEPS_MS = [50, 100, 200, 400, 800, 1000, 1000, 1000, 1000] as const;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims the key (with `reads` in the same round trip) or answers from the first request with
 * it: a replay, a 422, or after waiting with back-off, a 409. Returns the reads' results when
 * claimed, or a Response to send.
 */
async function claimOrReplay(
  c: Context<AppEnv>,
  request: IdempotentRequest,
  reads: BatchItem[],
): Promise<{ reads: unknown[][] } | Response> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await request.claim(c.get("db"), c.get("now")(), reads);
    if (outcome.claimed) return { reads: outcome.reads as unknown[][] };
    if (outcome.row) {
      const answer = await request.answerFrom(outcome.row, c.get("requestId"));
      if (answer) return answer;
    }
    const wait = WAIT_STEPS_MS[attempt];
    if (wait === undefined) throw inProgress();
    await sleep(wait);
  }
}

/** The 409 a retry gets while the first request with its key still runs (clients retry it). */
export function inProgress(): ApiError {
  return new ApiError(
    "idempotency_key_in_progress",
    "A request with this Idempotency-Key is still in progress",
    {
      headers: { "Retry-After": "1" },
    },
  );
}

/** A JSON answer as the exact text that is sent, and remembered for an Idempotency-Key. */
export interface JsonAnswer {
  status: 200 | 201 | 202;
  body: string;
}

/** With a key: the claim's reads, and the condition that holds while the claim is this request's. */
export interface Claim {
  reads: unknown[][];
  holds: SQL;
}

/** A write's results, and those of the statements run after it in its batch. */
export interface Written<R> {
  results: R;
  alongside: unknown[];
}

/** A POST's write and its answer, in the fewest round trips (`answerWrite`). */
export interface AnsweredWrite<R> {
  /** With a key: what to read in the claim's round trip to predict the write. */
  reads?: BatchItem[];
  /**
   * From the reads: the results `write` will give, and an SQL condition that is true right
   * after `write` only if it did (nothing changed in between). May throw a refusal.
   */
  predict: (reads: unknown[][]) => { results: R; onlyIf: SQL };
  /**
   * The write, in one round trip, with `alongside` (the key's remembered answer) last in its
   * batch. `claim` is there only with a key.
   */
  write: (alongside: BatchItem[], claim?: Claim) => Promise<Written<R>>;
  /** The answer from the write's results, or a thrown ApiError: the same with a key or without. */
  decide: (results: R) => Promise<JsonAnswer>;
}

/** `write` for a handler whose write is a list of statements: one batch. */
export function inOneBatch<R extends unknown[]>(db: Db, statements: BatchItem[]) {
  return async (alongside: BatchItem[]): Promise<Written<R>> => {
    const results = await db.batch([...statements, ...alongside] as [BatchItem, ...BatchItem[]]);
    return {
      results: results.slice(0, statements.length) as unknown as R,
      alongside: results.slice(statements.length),
    };
  };
}

declare const answeredBrand: unique symbol;
/** A response made by `answerWrite`: what a handler of `answersWithItsWrite` must return. */
export type AnsweredResponse = Response & { readonly [answeredBrand]: true };

const answered = (response: Response) => response as AnsweredResponse;

// Handlers that claim their key in `answerWrite`, with their reads in the claim's round trip;
// for every other POST the middleware claims before the route validates its input.
const selfClaiming = new WeakSet<object>();

/**
 * The route handler of a POST that answers from its write, through `answerWrite`. It claims
 * its key there, together with its reads; with `claimFirst` (only for a write with no reads:
 * create), the middleware claims before the input is validated, so a refused input is
 * remembered too.
 */
export function answersWithItsWrite<R extends RouteConfig>(
  handler: (c: Parameters<RouteHandler<R, AppEnv>>[0]) => Promise<AnsweredResponse>,
  { claimFirst = false } = {},
): RouteHandler<R, AppEnv> {
  if (!claimFirst) selfClaiming.add(handler);
  // The answer is the route's JSON, sent as the exact text remembered for its key.
  return handler as unknown as RouteHandler<R, AppEnv>;
}

/**
 * Without an Idempotency-Key, one round trip: `write`, answered by `decide`. With one, two:
 * the claim with `reads` (or a replay), then `write` with the predicted answer in its batch,
 * recorded only if `onlyIf` holds right after the write; then that answer goes out. If it did
 * not hold (a concurrent change between the two round trips, rare), `decide` answers from the
 * write's actual results and the middleware records that: a third round trip only in that
 * race. A refusal thrown after the claim is recorded by the middleware too (claim, record: two).
 */
export async function answerWrite<R>(
  c: Context<AppEnv>,
  { reads = [], predict, write, decide }: AnsweredWrite<R>,
): Promise<AnsweredResponse> {
  const db = c.get("db");
  const request = c.get("idempotency");
  const send = (answer: JsonAnswer): AnsweredResponse =>
    answered(c.body(answer.body, answer.status, { "Content-Type": "application/json" }));
  if (!request) return send(await decide((await write([])).results));
  // With `claimFirst` the middleware claimed already (such a write has no reads).
  const claimed = request.claimedAt === null ? await claimOrReplay(c, request, reads) : { reads: [] };
  if (claimed instanceof Response) return answered(claimed);
  const predicted = predict(claimed.reads);
  const answer = await decide(predicted.results);
  const settle = await request.settleStatement(answer.status, answer.body, db, predicted.onlyIf);
  const written = await write(settle, { reads: claimed.reads, holds: request.holds(db) });
  if ((written.alongside.at(-1) as D1Result | undefined)?.meta.changes) {
    request.settled = true;
    return send(answer);
  }
  return send(await decide(written.results));
}

/**
 * `Idempotency-Key` on every POST under /v1 (after auth: keys are scoped per project).
 *
 * The first request with a key claims it with one INSERT (or takes over a forgotten key or a
 * claim past its lease); the primary key makes that claim atomic, so of two concurrent
 * requests exactly one runs. Its response (2xx or 4xx) is stored, encrypted, for 24 hours,
 * and the same key with the same method, path and body replays it; with a different request
 * it is a 422 `idempotency_key_reused` (not a 409: retrying cannot fix it). A 5xx or 429
 * releases the claim so a retry can run again. A retry that arrives while the first is still
 * running waits for it (backing off), and after about 5 s gets a 409
 * `idempotency_key_in_progress`, which clients retry.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    const message = "Must be 1 to 255 printable ASCII characters";
    throw new ApiError("invalid_request", `Invalid Idempotency-Key header: ${message}`, {
      details: { fields: { "Idempotency-Key": message } },
    });
  }
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const requestHash = await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);
  const request = new IdempotentRequest(
    c.get("projectId"),
    c.get("keyMode"),
    key,
    requestHash,
    encryptionKeys,
  );
  c.set("idempotency", request);
  if (!matchedRoutes(c).some((route) => selfClaiming.has(route.handler))) {
    const outcome = await claimOrReplay(c, request, []);
    if (outcome instanceof Response) {
      c.res = outcome;
      return;
    }
  }
  await next();
  await settleAfter(c, request);
});

/**
 * Records the response of a claimed request whose handler did not record it with its write: a
 * refusal thrown after the claim (claim, record: two round trips), an answer decided after a
 * concurrent change broke a prediction (`answerWrite`: three, only in that race), and the
 * generic path, claim, work, record (three): a POST not made by `answersWithItsWrite`, such as
 * the profile picture upload, whose work is Meta's (test/request-path/round-trips.test.ts
 * runs one); one round trip more than a write that records its own answer.
 */
async function settleAfter(c: Context<AppEnv>, request: IdempotentRequest): Promise<void> {
  if (request.claimedAt === null || request.settled) return;
  try {
    const body = await c.res.clone().text();
    await c.get("db").batch(await request.settleStatement(c.res.status, body, c.get("db")));
    request.settled = true;
  } catch (error) {
    // The work is done and its answer is on its way; the claim lapses after its lease.
    logEvent("error", "idempotency_settle_failed", {
      requestId: c.get("requestId"),
      status: c.res.status,
      error: describeError(error),
    });
  }
}

/**
 * Forgets keys past their 24 hours, `batchSize` rows per statement until none are left (run
 * by the cron every 5 minutes). Up to 1,000,000 rows a run, about 3,300 a second: more than
 * one D1 database can create (each key is a write), so the purge keeps up with any creation
 * rate; one project at its default 600 a minute makes 3,000 per run. Returns how many it deleted.
 */
export async function purgeExpiredIdempotencyKeys(
  db: Db,
  now: number,
  { batchSize = 5_000, maxBatches = 200 } = {},
): Promise<number> {
  let purged = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const expired = db
      .select({ rowid: sql`rowid` })
      .from(idempotencyKeys)
      .where(lte(idempotencyKeys.expiresAt, now))
      .limit(batchSize);
    const result = await db.run(sql`DELETE FROM ${idempotencyKeys} WHERE rowid IN ${expired}`);
    purged += result.meta.changes;
    if (result.meta.changes < batchSize) break;
  }
  return purged;
}
