import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { rewriteAppQueries } from "../support/db";

afterEach(() => vi.restoreAllMocks());

function capture() {
  const lines: string[] = [];
  for (const method of ["log", "warn", "error", "info"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
  return lines;
}

describe("request ids and logs", () => {
  it("tests run with the test secrets, not a developer's .dev.vars", () => {
    expect(env.TOKEN_HASH_KEY).toBe("dGVzdC1vbmx5LXRva2VuLWhhc2gta2V5LTMyLWJ5dGU=");
  });

  it("puts a request id on every response and inside every error body", async () => {
    const { apiKey } = await createProject();
    const ok = await call("/v1/invitations", { apiKey });
    expect(ok.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const responses = [
      await call("/v1/invitations"),
      await call("/nope"),
      await postJson("/v1/invitations", apiKey, { expiresInDays: 0 }),
      await call("/openapi.json"),
    ];
    const ids = new Set<string>();
    for (const res of responses) {
      const id = res.headers.get("X-Request-Id");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(id ?? "");
      if (res.status >= 400) {
        const body = (await res.json()) as { details: { requestId: string } };
        expect(body.details.requestId).toBe(id);
      }
    }
    expect(ids.size).toBe(responses.length);
  });

  it("logs one JSON line per request with method, route, status, duration, project and request id; no secrets", async () => {
    const { apiKey, projectId } = await createProject();
    const lines = capture();
    const invitation = await createInvitation(apiKey, {
      clientName: "Acme Corp",
      clientEmail: "contact@acme.com",
    });
    const read = await call(`/v1/invitations/${invitation.id}`, { apiKey });
    expect(read.status).toBe(200);
    const unauthorized = await call("/v1/invitations", { headers: { Authorization: `Bearer ${apiKey}x` } });
    expect(unauthorized.status).toBe(401);

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = records.filter((r) => r.event === "request");
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({
      level: "info",
      method: "POST",
      route: "/v1/invitations",
      status: 201,
      projectId,
    });
    expect(requests[1]).toMatchObject({
      method: "GET",
      route: "/v1/invitations/:invitationId",
      status: 200,
      projectId,
    });
    expect(requests[2]).toMatchObject({ status: 401, projectId: null });
    for (const r of requests) {
      expect(typeof r.durationMs).toBe("number");
      expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const all = lines.join("\n");
    for (const secret of [apiKey, invitation.token, invitation.id, "contact@acme.com", env.TOKEN_HASH_KEY]) {
      expect(all).not.toContain(secret);
    }
  });

  it("answers an unexpected exception with a 500 internal_error and logs its stack", async () => {
    const { apiKey, projectId } = await createProject();
    const lines = capture();
    // A real failure: the database refuses the query (table missing for this one call).
    rewriteAppQueries((query) => query.replace('from "invitations"', 'from "no_such_table"'));
    const res = await call("/v1/invitations", { apiKey });
    const body = await expectError(res, 500, "internal_error");
    expect(body.message).not.toMatch(/no_such_table|SQL|D1/i);
    expect(JSON.stringify(body)).not.toContain("stack");
    const logged = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.event === "unhandled_exception");
    expect(logged?.level).toBe("error");
    expect(JSON.stringify(logged)).toMatch(/no_such_table/);
    expect((logged?.error as { stack?: string } | undefined)?.stack).toMatch(/listInvitations/);
    expect(logged?.requestId).toBe(res.headers.get("X-Request-Id"));
    // The failed query's bound parameters (here the project id) stay out of the log.
    expect(JSON.stringify(logged)).not.toContain(projectId);
  });
});
