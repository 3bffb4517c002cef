import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { testKeyFor } from "../onboarding/support";
import { call, createInvitation, createProject, expectError, postJson } from "../support/api";
import { eventsOf } from "../support/db";
import { configureWebhook, nth, Receiver, transitionAndDispatch } from "../webhooks/support/webhooks";

// Metadata: the partner's own key-value pairs on an invitation, returned everywhere the
// invitation is, in each webhook event's data, and filterable on the list.

type Invitation = { id: string; status: string; metadata: Record<string, string> };
type Page = { items: Invitation[]; nextCursor: string | null };

const META = { crmId: "acct_4711", plan: "pro", "region-1": "eu_west" };

async function countRows(projectId: string) {
  const row = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM invitations WHERE project_id = ?1) AS invitations,
            (SELECT count(*) FROM invitation_metadata WHERE project_id = ?1) AS pairs`,
  )
    .bind(projectId)
    .first<{ invitations: number; pairs: number }>();
  return row;
}

async function list(apiKey: string, query: string): Promise<Page> {
  const res = await call(`/v1/invitations${query}`, { apiKey });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

describe("metadata round trip", () => {
  it("create, get, list and cancel return it exactly; without it, {}", async () => {
    const { apiKey } = await createProject();
    const created = await createInvitation(apiKey, { clientName: "Acme", metadata: META });
    expect(created.metadata).toEqual(META);
    const got = (await (await call(`/v1/invitations/${created.id}`, { apiKey })).json()) as {
      invitation: Invitation;
    };
    expect(got.invitation.metadata).toEqual(META);
    expect((await list(apiKey, "")).items.map((i) => i.metadata)).toEqual([META]);
    const cancelled = (await (await postJson(`/v1/invitations/${created.id}/cancel`, apiKey, {})).json()) as {
      invitation: Invitation;
    };
    expect(cancelled.invitation.metadata).toEqual(META);
    const plain = await createInvitation(apiKey, {});
    expect(plain.metadata).toEqual({});
    const empty = await createInvitation(apiKey, { metadata: {} });
    expect(empty.metadata).toEqual({});
  });

  it("the limits themselves are accepted: 20 keys, a 40-character key, a 500-character value", async () => {
    const { apiKey } = await createProject();
    const metadata: Record<string, string> = Object.fromEntries(
      Array.from({ length: 19 }, (_, i) => [`k${i}`, `v${i}`]),
    );
    metadata["K".repeat(40)] = "é".repeat(500);
    const created = await createInvitation(apiKey, { metadata });
    expect(created.metadata).toEqual(metadata);
  });

  const bad: [string, unknown][] = [
    ["21 keys", Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]))],
    ["a 41-character key", { ["k".repeat(41)]: "v" }],
    ["an empty key", { "": "v" }],
    ["a key with a dot", { "a.b": "v" }],
    ["a key with a space", { "a b": "v" }],
    ["a 501-character value", { k: "x".repeat(501) }],
    ["a number value", { k: 1 }],
    ["a null value", { k: null }],
    ["an object value", { k: { nested: "v" } }],
    ["a lone surrogate", { k: "\ud800" }],
    ["an array", ["v"]],
    ["a string", "crm"],
    ["null", null],
  ];
  for (const [what, metadata] of bad) {
    it(`${what}: 400 invalid_request naming metadata, nothing created`, async () => {
      const { apiKey, projectId } = await createProject();
      const body = await expectError(
        await postJson("/v1/invitations", apiKey, { metadata }),
        400,
        "invalid_request",
      );
      const fields = Object.keys((body.details as { fields: Record<string, string> }).fields);
      expect(
        fields.some((f) => f.startsWith("metadata")),
        JSON.stringify(body),
      ).toBe(true);
      expect(await countRows(projectId)).toEqual({ invitations: 0, pairs: 0 });
    });
  }

  it("__proto__ and constructor are ordinary keys", async () => {
    const { apiKey } = await createProject();
    const res = await postJson(
      "/v1/invitations",
      apiKey,
      JSON.parse('{"metadata":{"__proto__":"a","constructor":"b"}}'),
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const { invitation } = (await res.json()) as { invitation: Invitation };
    expect(Object.entries(invitation.metadata)).toEqual([
      ["__proto__", "a"],
      ["constructor", "b"],
    ]);
  });

  it("an idempotent replay answers the same metadata and writes it once", async () => {
    const { apiKey, projectId } = await createProject();
    const send = () =>
      call("/v1/invitations", {
        method: "POST",
        apiKey,
        headers: { "Content-Type": "application/json", "Idempotency-Key": "meta-replay-1" },
        body: JSON.stringify({ metadata: META }),
      });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(await second.text()).toBe(await first.text());
    expect(await countRows(projectId)).toEqual({ invitations: 1, pairs: 3 });
  });
});

describe("metadata in webhook events", () => {
  it("every event's data carries the invitation's metadata", async () => {
    const { apiKey } = await createProject();
    const receiver = new Receiver();
    await configureWebhook(apiKey, receiver.url);
    const invitation = await createInvitation(apiKey, { metadata: META });
    await transitionAndDispatch(invitation.id, { event: "start" });
    await receiver.waitForExactly(1, { settleMs: 0 });
    expect((await postJson(`/v1/invitations/${invitation.id}/cancel`, apiKey, {})).status).toBe(200);
    const requests = await receiver.waitForExactly(2);
    const data = [0, 1].map(
      (i) => (JSON.parse(nth(requests, i).body) as { data: Record<string, unknown> }).data,
    );
    expect(data.map((d) => [d.currentStatus, d.metadata])).toEqual([
      ["in_progress", META],
      ["cancelled", META],
    ]);
    expect((await eventsOf(invitation.id)).length).toBe(2);
  });
});

describe("the list's metadata filter", () => {
  it("metadata[key]=value: exact matches only, newest first, paged, with status, per project and mode", async () => {
    const project = await createProject();
    const { apiKey } = project;
    const a = await createInvitation(apiKey, { metadata: { crmId: "acct_1", plan: "pro" } });
    await createInvitation(apiKey, { metadata: { crmId: "acct_10" } });
    await createInvitation(apiKey, { metadata: { crmid: "acct_1" } });
    await createInvitation(apiKey, {});
    const c = await createInvitation(apiKey, { metadata: { crmId: "acct_1" } });
    // The same pair elsewhere: another project, and this project's test mode.
    await createInvitation((await createProject()).apiKey, { metadata: { crmId: "acct_1" } });
    const testKey = await testKeyFor(project.projectId);
    const testOne = await createInvitation(testKey, { metadata: { crmId: "acct_1" } });

    expect((await list(apiKey, "?metadata[crmId]=acct_1")).items.map((i) => i.id)).toEqual([c.id, a.id]);
    expect((await list(apiKey, "?metadata%5BcrmId%5D=acct_1")).items.map((i) => i.id)).toEqual([c.id, a.id]);
    expect((await list(testKey, "?metadata[crmId]=acct_1")).items.map((i) => i.id)).toEqual([testOne.id]);
    expect((await list(apiKey, "?metadata[crmId]=ACCT_1")).items).toEqual([]);
    expect((await list(apiKey, "?metadata[plan]=pro")).items.map((i) => i.id)).toEqual([a.id]);
    // Paged: one a page, the cursor continues the filtered list.
    const first = await list(apiKey, "?metadata[crmId]=acct_1&limit=1");
    expect(first.items.map((i) => i.id)).toEqual([c.id]);
    const second = await list(
      apiKey,
      `?metadata[crmId]=acct_1&limit=1&cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
    );
    expect([second.items.map((i) => i.id), second.nextCursor]).toEqual([[a.id], null]);
    // With status.
    expect((await postJson(`/v1/invitations/${a.id}/cancel`, apiKey, {})).status).toBe(200);
    expect((await list(apiKey, "?metadata[crmId]=acct_1&status=cancelled")).items.map((i) => i.id)).toEqual([
      a.id,
    ]);
    expect((await list(apiKey, "?metadata[crmId]=acct_1&status=pending")).items.map((i) => i.id)).toEqual([
      c.id,
    ]);
  });

  it("a bad filter is 400 invalid_request: a bad key, two keys, a too long value", async () => {
    const { apiKey } = await createProject();
    for (const query of [
      "?metadata[a.b]=x",
      "?metadata[]=x",
      "?metadata[a]=x&metadata[b]=y",
      `?metadata[a]=${"x".repeat(501)}`,
      // Not the deepObject form: a plain value has no key to filter on.
      "?metadata=x",
    ]) {
      await expectError(await call(`/v1/invitations${query}`, { apiKey }), 400, "invalid_request");
    }
  });

  it("the OpenAPI document declares the filter: a deepObject query parameter of one string pair", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, { get: { parameters: Record<string, unknown>[] } }>;
    };
    const param = doc.paths["/v1/invitations"]?.get.parameters.find((p) => p.name === "metadata");
    expect(param).toMatchObject({
      in: "query",
      required: false,
      style: "deepObject",
      explode: true,
      schema: { type: "object", maxProperties: 1, additionalProperties: { type: "string", maxLength: 500 } },
    });
  });

  it("the filter is an index seek on invitation_metadata's key, not a scan", async () => {
    const { results } = await env.DB.prepare(
      `EXPLAIN QUERY PLAN SELECT i.* FROM invitation_metadata m JOIN invitations i ON i.id = m.invitation_id
       WHERE m.project_id = 'p' AND m.mode = 'live' AND m.key = 'k' AND m.value = 'v'
       ORDER BY m.created_at DESC, m.invitation_id DESC LIMIT 51`,
    ).all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join(" | ");
    expect(plan).toMatch(/SEARCH m USING (COVERING )?INDEX sqlite_autoindex_invitation_metadata_1/);
    expect(plan).toMatch(/SEARCH i USING INDEX sqlite_autoindex_invitations_1 \(id=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
