import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createProject } from "../support/api";

// Request ids are the server's own; a client's X-Request-Id is only logged beside it.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("request ids", () => {
  it("are generated here; a client's own id is logged apart, only when well-formed", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const { apiKey } = await createProject();
    const res = await call("/v1/invitations", { apiKey, headers: { "X-Request-Id": "client-trace-42" } });
    const id = res.headers.get("X-Request-Id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe("client-trace-42");
    const odd = await call("/v1/invitations", { apiKey, headers: { "X-Request-Id": 'x" injected' } });
    const entries = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "request");
    expect(entries.map((e) => [e.requestId, e.clientRequestId])).toEqual([
      [id, "client-trace-42"],
      [odd.headers.get("X-Request-Id"), null],
    ]);
  });
});
