import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { IDEMPOTENCY_TTL_MS } from "../../src/middleware/idempotency";
import { call, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";
import { countInvitations, rewriteAppQueries } from "../support/db";

function post(path: string, apiKey: string, key: string, body: unknown = {}) {
  return {
    path,
    init: {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    },
  };
}

describe("Idempotency-Key", () => {
  it("replays the first response of a retried create, creating one invitation", async () => {
    const { apiKey, projectId } = await createProject();
    const req = post("/v1/invitations", apiKey, "order-42", { clientName: "Acme Corp" });
    const first = await call(req.path, req.init);
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const retry = await call(req.path, req.init);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(retry.headers.get("X-Request-Id")).not.toBe(first.headers.get("X-Request-Id"));
    expect(await retry.json()).toEqual(await first.json());
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("refuses the same key with a different body or path with 422, not 409", async () => {
    const { apiKey, projectId } = await createProject();
    const first = post("/v1/invitations", apiKey, "k1", { clientName: "A" });
    expect((await call(first.path, first.init)).status).toBe(201);
    const other = post("/v1/invitations", apiKey, "k1", { clientName: "B" });
    const res = await call(other.path, other.init);
    await expectError(res, 422, "idempotency_key_reused");
    const cancel = post("/v1/invitations/inv_x/cancel", apiKey, "k1");
    await expectError(await call(cancel.path, cancel.init), 422, "idempotency_key_reused");
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("scopes keys per project", async () => {
    const a = await createProject();
    const b = await createProject();
    const ra = post("/v1/invitations", a.apiKey, "shared-key");
    const rb = post("/v1/invitations", b.apiKey, "shared-key");
    const ia = (await (await call(ra.path, ra.init)).json()) as { invitation: { id: string } };
    const ib = (await (await call(rb.path, rb.init)).json()) as { invitation: { id: string } };
    expect(ia.invitation.id).not.toBe(ib.invitation.id);
    expect(await countInvitations(a.projectId)).toBe(1);
    expect(await countInvitations(b.projectId)).toBe(1);
  });

  it("remembers a key for 24 hours, then forgets it (and the cron purges it)", async () => {
    const { apiKey, projectId } = await createProject();
    let now = Date.now();
    const fetchApp = appWith({ now: () => now });
    const req = post("/v1/invitations", apiKey, "daily");
    expect((await fetchApp(req.path, req.init)).status).toBe(201);
    now += IDEMPOTENCY_TTL_MS - 1;
    expect((await fetchApp(req.path, req.init)).headers.get("Idempotent-Replayed")).toBe("true");
    expect(await countInvitations(projectId)).toBe(1);

    // Past 24 h the cron forgets it; the key then acts again.
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: now + 2, cron: "*/5 * * * *" }),
      env,
      ctx,
    );
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE project_id = ?")
      .bind(projectId)
      .first();
    expect(Number(left?.n)).toBe(0);
    now += 2;
    const again = await fetchApp(req.path, req.init);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await countInvitations(projectId)).toBe(2);
  });

  it("takes over an expired key even before the purge", async () => {
    const { apiKey, projectId } = await createProject();
    let now = Date.now();
    const fetchApp = appWith({ now: () => now });
    const req = post("/v1/invitations", apiKey, "stale");
    expect((await fetchApp(req.path, req.init)).status).toBe(201);
    now += IDEMPOTENCY_TTL_MS;
    const other = post("/v1/invitations", apiKey, "stale", { clientName: "new request" });
    expect((await fetchApp(other.path, other.init)).status).toBe(201);
    expect(await countInvitations(projectId)).toBe(2);
  });

  it("replays a 4xx too, but releases the key after a 5xx so a retry can run", async () => {
    const { apiKey, projectId } = await createProject();
    const bad = post("/v1/invitations", apiKey, "bad", { expiresInDays: 99 });
    await expectError(await call(bad.path, bad.init), 400, "invalid_request");
    const replay = await call(bad.path, bad.init);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");

    // Make the first attempt fail inside the handler, after the key was claimed: the
    // database refuses the invitation insert this once.
    const req = post("/v1/invitations", apiKey, "flaky");
    const spy = rewriteAppQueries((query) =>
      query.replace('insert into "invitations"', 'insert into "nope"'),
    );
    try {
      await expectError(await call(req.path, req.init), 500, "internal_error");
    } finally {
      spy.mockRestore();
    }
    const retry = await call(req.path, req.init);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("rejects a malformed key with 400 naming the header", async () => {
    const { apiKey } = await createProject();
    for (const key of ["x".repeat(256), "ключ", "with space"]) {
      const req = post("/v1/invitations", apiKey, key);
      const error = await expectError(await call(req.path, req.init), 400, "invalid_request");
      expect(error.details?.fields).toHaveProperty("Idempotency-Key");
    }
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    for (const [path, method] of [
      ["/v1/invitations", "post"],
      ["/v1/invitations/{invitationId}/cancel", "post"],
      ["/v1/invitations/webhook", "post"],
      ["/v1/invitations/webhook/secret", "post"],
      ["/v1/invitations/webhook/events/{eventId}/resend", "post"],
    ] as const) {
      const names = doc.paths[path]?.[method]?.parameters?.map((p) => `${p.in}:${p.name.toLowerCase()}`);
      expect(names).toContain("header:idempotency-key");
    }
  });
});
