import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import worker from "../../src/index";
import { purgeExpiredIdempotencyKeys } from "../../src/middleware/idempotency";
import { instrumentedEnv } from "../support/instrumented-env";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the cron", () => {
  it("purges more idempotency keys in one run than a project at its limit creates between runs", async () => {
    // 600 a minute for 5 minutes: 3,000 keys per run; the purge takes 5,000 per statement.
    const projectId = `prj_purge_${crypto.randomUUID()}`;
    const expiresAt = Date.UTC(2020, 0, 1);
    const values = Array.from(
      { length: 100 },
      (_, i) => `('${projectId}', 'k${i}', 'h', 'completed', 0, ${expiresAt})`,
    );
    // 12,000 expired keys, in statements of 100 rows.
    for (let batch = 0; batch < 120; batch++) {
      await env.DB.prepare(
        `INSERT INTO idempotency_keys (project_id, key, request_hash, state, created_at, expires_at) VALUES ${values
          .map((v) => v.replace(/'k(\d+)'/, `'b${batch}k$1'`))
          .join(", ")}`,
      ).run();
    }
    const purged = await purgeExpiredIdempotencyKeys(createDb(env.DB), Date.UTC(2021, 0, 1));
    expect(purged).toBeGreaterThanOrEqual(12_000);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE project_id = ?")
      .bind(projectId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("purges idempotency keys even when the expiry sweep fails, and reports the failure", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const projectId = `prj_sweepfail_${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (project_id, key, request_hash, state, created_at, expires_at) VALUES (?, 'k', 'h', 'completed', 0, 1)",
    )
      .bind(projectId)
      .run();
    const { env: faulty } = instrumentedEnv({
      d1: ({ sql }) =>
        sql.some((s) => s.startsWith('update "invitations"'))
          ? Promise.reject(new Error("D1_ERROR: sweep failed"))
          : undefined,
    });
    const ctx = createExecutionContext();
    await expect(
      worker.scheduled(
        createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }),
        faulty,
        ctx,
      ),
    ).rejects.toThrow(/1 scheduled job/);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE project_id = ?")
      .bind(projectId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect(error.mock.calls.some(([line]) => String(line).includes('"event":"cron_job_failed"'))).toBe(true);
  });
});
