import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IDEMPOTENCY_LEASE_MS, WAIT_STEPS_MS } from "../../src/middleware/idempotency";
import { createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { countInvitations } from "../support/db";
import { create, failing, LOST, logged } from "../support/faults";
import { instrumentedApp, instrumentedEnv, isOutboxDispatch } from "../support/instrumented-env";

// A claim that outlives its request (a stuck or dead request, a failed write or settle), with
// each fault injected through the wrapped env (test/support/instrumented-env.ts) against the
// real local D1 otherwise.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Idempotency-Key claims have a lease", () => {
  async function claimLeftBehind(projectId: string, key: string, claimedAt: number) {
    // What a request that died after its claim leaves: the row, in progress, no response.
    const body = JSON.stringify({ clientName: "Acme" });
    const hash = [
      ...new Uint8Array(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`POST /v1/invitations\n${body}`)),
      ),
    ]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (project_id, key, request_hash, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?)",
    )
      .bind(projectId, key, hash, claimedAt, claimedAt + 86_400_000)
      .run();
  }

  it("a stuck claim past its lease is taken over by the retry, which creates once", async () => {
    const { apiKey, projectId } = await createProject();
    const now = Date.now();
    await claimLeftBehind(projectId, "stuck", now - IDEMPOTENCY_LEASE_MS);
    const res = await appWith({ now: () => now })("/v1/invitations", { ...create("stuck"), apiKey });
    expect(res.status).toBe(201);
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("within its lease a retry waits with back-off, then answers 409; its reads are bounded", async () => {
    const { apiKey, projectId } = await createProject();
    const now = Date.now();
    await claimLeftBehind(projectId, "held", now - IDEMPOTENCY_LEASE_MS + 60_000);
    const { env: counted, calls } = instrumentedEnv();
    const fetchApp = instrumentedApp({ now: () => now }, counted);
    const started = Date.now();
    const res = await fetchApp("/v1/invitations", { ...create("held"), apiKey });
    await expectError(res, 409, "idempotency_key_in_progress");
    expect(res.headers.get("Retry-After")).toBe("1");
    const waited = WAIT_STEPS_MS.reduce((a, b) => a + b, 0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(waited);
    // One claim attempt, then one per back-off step (not one every 50 ms): plus the key lookup
    // (the webhook outbox dispatch after the response is not the retry's).
    expect(calls.filter((c) => c.kind === "d1" && !isOutboxDispatch(c))).toHaveLength(
      1 + 1 + WAIT_STEPS_MS.length,
    );
    expect(await countInvitations(projectId)).toBe(0);
  }, 15_000);

  it("a failed write of the created row and its response: a 500, nothing created, the retry creates once", async () => {
    const error = vi.spyOn(console, "error");
    const { apiKey, projectId } = await createProject();
    const { env: faulty } = instrumentedEnv({
      d1: failing((sql) => sql.some((s) => s.startsWith('insert into "invitations"')), LOST, 1),
    });
    const fetchApp = instrumentedApp({}, faulty);
    await expectError(
      await fetchApp("/v1/invitations", { ...create("k-settle"), apiKey }),
      500,
      "internal_error",
    );
    expect(await countInvitations(projectId)).toBe(0);
    const retry = await fetchApp("/v1/invitations", { ...create("k-settle"), apiKey });
    expect(retry.status).toBe(201);
    const replay = await fetchApp("/v1/invitations", { ...create("k-settle"), apiKey });
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replay.json()).toEqual(await retry.json());
    expect(await countInvitations(projectId)).toBe(1);
    expect(logged(error, "unhandled_exception")).toHaveLength(1);
  });

  it("a failed settle of a response recorded after the handler: the response still goes out, logged", async () => {
    const error = vi.spyOn(console, "error");
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    let now = Date.now();
    const { env: faulty } = instrumentedEnv({
      // The record of the answer (after a refused cancel, the generic path) fails.
      d1: ({ what, sql }) =>
        what === "batch" && sql.length === 1 && sql[0]?.startsWith('update "idempotency_keys"')
          ? Promise.reject(new Error("D1_ERROR: Network connection lost."))
          : undefined,
    });
    const fetchApp = instrumentedApp({ now: () => now }, faulty);
    expect((await fetchApp(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey })).status).toBe(200);
    const init = { method: "POST", headers: { "Idempotency-Key": "cancel-again" }, apiKey };
    // Not a 500: the answer is the request's own, and the failure is the operator's to see.
    await expectError(await fetchApp(`/v1/invitations/${id}/cancel`, init), 400, "invalid_state");
    expect(logged(error, "idempotency_settle_failed")).toEqual([expect.objectContaining({ status: 400 })]);
    // The claim it left lapses with its lease: a later retry runs again, same answer.
    now += IDEMPOTENCY_LEASE_MS;
    await expectError(await fetchApp(`/v1/invitations/${id}/cancel`, init), 400, "invalid_state");
  });

  it("a client that disconnects after the claim: after the lease, a retry takes over and creates once", async () => {
    const { apiKey, projectId } = await createProject();
    let now = Date.now();
    let hang = true;
    const { env: faulty } = instrumentedEnv({
      // The first request's write never completes (the request is gone, its Worker stopped).
      d1: ({ sql }) =>
        hang && sql.some((s) => s.startsWith('insert into "invitations"'))
          ? new Promise(() => {})
          : undefined,
    });
    const fetchApp = instrumentedApp({ now: () => now }, faulty);
    void fetchApp("/v1/invitations", { ...create("gone"), apiKey });
    await new Promise((resolve) => setTimeout(resolve, 200));
    hang = false;
    now += IDEMPOTENCY_LEASE_MS;
    const retry = await fetchApp("/v1/invitations", { ...create("gone"), apiKey });
    expect(retry.status).toBe(201);
    expect(await countInvitations(projectId)).toBe(1);
  });
});
