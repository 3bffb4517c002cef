import { exports } from "cloudflare:workers";
import Zavudev, { APIError, AuthenticationError, BadRequestError, NotFoundError } from "@zavudev/sdk";
import type { Invitation } from "@zavudev/sdk/resources/invitations";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contractProblems, operationOf, spec } from "../partner-api/support/contract-schema";
import { firstOrderViolation } from "../partner-api/support/list";
import { BASE, createProject } from "../support/api";

const DAY = 86_400_000;

/** One HTTP exchange the SDK made, as the Worker answered it. */
interface Exchange {
  method: string;
  url: string;
  status: number;
  contentType: string | null;
  body: unknown;
}

let exchanges: Exchange[] = [];

/**
 * The official client, configured as a partner would: only baseURL and apiKey, plus the test's
 * fetch (into the Worker under test, recording every response) and no retries, so that a
 * response the client would have retried surfaces instead of hiding.
 */
function client(apiKey: string): Zavudev {
  return new Zavudev({
    apiKey,
    baseURL: BASE,
    maxRetries: 0,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const res = await exports.default.fetch(request);
      const text = await res.clone().text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // left as text: the check below reports it as not JSON
      }
      exchanges.push({
        method: request.method,
        url: request.url,
        status: res.status,
        contentType: res.headers.get("content-type"),
        body,
      });
      return res;
    },
  });
}

beforeEach(() => {
  exchanges = [];
});

afterEach(() => {
  // Every response the client received matches the published 0.2.0 schema of its operation.
  expect(exchanges.length).toBeGreaterThan(0);
  const problems: string[] = [];
  for (const exchange of exchanges) {
    const label = `${exchange.method} ${new URL(exchange.url).pathname}${new URL(exchange.url).search}`;
    const operation = operationOf(exchange.method, exchange.url);
    if (!operation) {
      problems.push(`${label}: not a 0.2.0 operation`);
      continue;
    }
    if (!exchange.contentType?.startsWith("application/json")) {
      problems.push(`${label}: content-type ${exchange.contentType}`);
    }
    problems.push(
      ...contractProblems(operation, exchange.status, exchange.body).map((p) => `${label}: ${p}`),
    );
  }
  expect(problems).toEqual([]);
});

const examples = (() => {
  const paths = spec.paths as Record<string, Record<string, unknown>>;
  const post = paths["/v1/invitations"]?.post as {
    requestBody: { content: { "application/json": { examples: Record<string, { value: unknown }> } } };
  };
  const all = post.requestBody.content["application/json"].examples;
  return { basic: all.basic?.value, full: all.full?.value } as {
    basic: { clientName: string };
    full: {
      clientName: string;
      clientEmail: string;
      clientPhone: string;
      expiresInDays: number;
      allowedPhoneCountries: string[];
    };
  };
})();

function expectFreshPending(invitation: Invitation, expiresInDays: number) {
  expect(invitation.id).toMatch(/^inv_/);
  expect(invitation.status).toBe("pending");
  expect(invitation.url).toBe(`${BASE}/invite/${invitation.token}`);
  expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(expiresInDays * DAY);
  expect(invitation.updatedAt).toBe(invitation.createdAt);
  expect(invitation.viewedAt ?? null).toBeNull();
  expect(invitation.senderId ?? null).toBeNull();
  expect(invitation.connectedAccount ?? null).toBeNull();
}

describe("@zavudev/sdk 0.57.0 against this service", () => {
  it("creates with the contract's two examples", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);

    const basic = (await zavu.invitations.create(examples.basic)).invitation;
    expectFreshPending(basic, 7);
    expect(basic.clientName).toBe("Acme Corp");
    expect(basic.clientEmail ?? null).toBeNull();
    expect(basic.connectionType).toBe("whatsapp_waba");

    const full = (await zavu.invitations.create(examples.full)).invitation;
    expectFreshPending(full, 14);
    expect(full).toMatchObject({
      clientName: examples.full.clientName,
      clientEmail: examples.full.clientEmail,
      clientPhone: examples.full.clientPhone,
      connectionType: "whatsapp_waba",
    });
    expect(full.token).not.toBe(basic.token);
    expect(exchanges.map((e) => e.status)).toEqual([201, 201]);
  });

  it("creates with no arguments, and a messenger invitation", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const bare = (await zavu.invitations.create()).invitation;
    expectFreshPending(bare, 7);
    expect(bare.clientName ?? null).toBeNull();
    expect(bare.connectionType).toBe("whatsapp_waba");

    const messenger = (
      await zavu.invitations.create({ clientName: "Acme Corp", connectionType: "messenger" })
    ).invitation;
    expectFreshPending(messenger, 7);
    expect(messenger.connectionType).toBe("messenger");
    expect(messenger.phoneNumberId ?? null).toBeNull();
  });

  it("retrieves what it created", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const created = (await zavu.invitations.create({ clientName: "Acme Corp" })).invitation;
    const { invitation } = await zavu.invitations.retrieve(created.id);
    expect(invitation).toEqual(created);
  });

  it("auto-paginates with for await over 125 invitations, with and without a status filter", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const created: Invitation[] = [];
    for (let i = 0; i < 125; i++) {
      created.push((await zavu.invitations.create({ clientName: `Client ${i}` })).invitation);
    }

    const listRequests = () => exchanges.filter((e) => e.method === "GET").length;
    const walk = async (query?: { status: "pending" | "cancelled" }) => {
      const before = listRequests();
      const items: Invitation[] = [];
      for await (const invitation of zavu.invitations.list(query)) items.push(invitation);
      return { items, requests: listRequests() - before };
    };
    const ids = (items: Invitation[]) => items.map((i) => i.id);

    const all = await walk();
    expect(all.requests).toBe(3); // 50 + 50 + 25 at the default page size
    expect(all.items).toHaveLength(125);
    expect(new Set(ids(all.items)).size).toBe(125);
    expect([...ids(all.items)].sort()).toEqual(ids(created).sort());
    expect(firstOrderViolation(all.items)).toBe(-1);
    expect(all.items[0]?.createdAt).toBe(created.at(-1)?.createdAt);

    const cancelled = created.filter((_, i) => i % 2 === 0); // 63
    for (const invitation of cancelled) {
      expect((await zavu.invitations.cancel(invitation.id)).invitation.status).toBe("cancelled");
    }
    const cancelledIds = new Set(ids(cancelled));
    const pendingIds = ids(created).filter((id) => !cancelledIds.has(id));

    const onlyCancelled = await walk({ status: "cancelled" });
    expect(onlyCancelled.requests).toBe(2);
    expect(ids(onlyCancelled.items).sort()).toEqual([...cancelledIds].sort());
    expect(new Set(ids(onlyCancelled.items)).size).toBe(onlyCancelled.items.length);
    expect(firstOrderViolation(onlyCancelled.items)).toBe(-1);
    for (const item of onlyCancelled.items) expect(item.status).toBe("cancelled");

    const onlyPending = await walk({ status: "pending" });
    expect(onlyPending.requests).toBe(2);
    expect(ids(onlyPending.items).sort()).toEqual([...pendingIds].sort());
    expect(new Set(ids(onlyPending.items)).size).toBe(onlyPending.items.length);
    expect(firstOrderViolation(onlyPending.items)).toBe(-1);
    for (const item of onlyPending.items) expect(item.status).toBe("pending");

    for (const exchange of exchanges.filter((e) => e.method === "GET")) {
      const params = new URL(exchange.url).searchParams;
      expect(params.getAll("status").length).toBeLessThanOrEqual(1);
    }
  }, 60_000);

  it("lists with a limit, page by page and auto-paginating", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    for (let i = 0; i < 25; i++) await zavu.invitations.create({ clientName: `Client ${i}` });

    const page = await zavu.invitations.list({ limit: 10 });
    expect(page.items).toHaveLength(10);
    expect(page.hasNextPage()).toBe(true);
    const second = await page.getNextPage();
    expect(second.items).toHaveLength(10);
    expect(second.items.some((i) => page.items.some((p) => p.id === i.id))).toBe(false);

    const before = exchanges.length;
    const items: Invitation[] = [];
    for await (const invitation of zavu.invitations.list({ limit: 10 })) items.push(invitation);
    expect(items).toHaveLength(25);
    expect(new Set(items.map((i) => i.id)).size).toBe(25);
    const requests = exchanges.slice(before);
    expect(requests).toHaveLength(3);
    for (const request of requests) expect(new URL(request.url).searchParams.get("limit")).toBe("10");
    expect((requests.at(-1)?.body as { nextCursor?: unknown } | undefined)?.nextCursor).toBeNull();
  });

  it("cancels", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const created = (await zavu.invitations.create({ clientName: "Acme Corp" })).invitation;
    const { invitation } = await zavu.invitations.cancel(created.id);
    expect(invitation.id).toBe(created.id);
    expect(invitation.status).toBe("cancelled");
    expect((await zavu.invitations.retrieve(created.id)).invitation.status).toBe("cancelled");
  });

  describe("errors as the client's typed exceptions", () => {
    it("a wrong key is an AuthenticationError (401)", async () => {
      await createProject();
      for (const key of [`zv_live_${"A".repeat(48)}`, "not-a-key"]) {
        const error = await client(key)
          .invitations.list()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as AuthenticationError).status).toBe(401);
        expect((error as AuthenticationError).error).toMatchObject({ code: "unauthorized" });
      }
    });

    it("an unknown id is a NotFoundError (404), on retrieve and on cancel", async () => {
      const { apiKey } = await createProject();
      const zavu = client(apiKey);
      const retrieve = await zavu.invitations
        .retrieve("inv_doesnotexist00000000000")
        .catch((e: unknown) => e);
      expect(retrieve).toBeInstanceOf(NotFoundError);
      expect((retrieve as NotFoundError).error).toMatchObject({ code: "not_found" });
      const cancel = await zavu.invitations.cancel("inv_doesnotexist00000000000").catch((e: unknown) => e);
      expect(cancel).toBeInstanceOf(NotFoundError);
    });

    it("cancelling twice is a BadRequestError (400, invalid_state), not a retryable conflict", async () => {
      const { apiKey } = await createProject();
      const zavu = client(apiKey);
      const { invitation } = await zavu.invitations.create();
      await zavu.invitations.cancel(invitation.id);
      const error = await zavu.invitations.cancel(invitation.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      const apiError = error as BadRequestError;
      expect(apiError.status).toBe(400);
      const body = apiError.error as { code: string; message: string };
      expect(body.code).toBe("invalid_state");
      expect(body.message).toContain("cancelled");
      expect(apiError.message).toContain("cancelled");
    });

    it("an invalid body is a BadRequestError naming the fields", async () => {
      const { apiKey } = await createProject();
      const zavu = client(apiKey);
      const error = await zavu.invitations
        .create({ clientEmail: "not-an-email", expiresInDays: 99, clientPhone: "555" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      const body = (error as BadRequestError).error as { code: string; details: { fields: object } };
      expect(body.code).toBe("invalid_request");
      expect(Object.keys(body.details.fields).sort()).toEqual([
        "clientEmail",
        "clientPhone",
        "expiresInDays",
      ]);

      const messenger = await zavu.invitations
        .create({ connectionType: "messenger", allowedPhoneCountries: ["US"] })
        .catch((e: unknown) => e);
      expect(messenger).toBeInstanceOf(BadRequestError);
      expect(messenger).toBeInstanceOf(APIError);
      expect(exchanges.map((e) => e.status)).toEqual([400, 400]);
    });
  });
});

describe("the 0.2.0 response check itself", () => {
  const valid = {
    id: "inv_abc123",
    url: "https://invitations.test/invite/abc",
    token: "abc",
    clientName: null,
    connectionType: "whatsapp_waba",
    status: "pending",
    expiresAt: "2026-01-08T12:00:00.000Z",
    viewedAt: null,
    createdAt: "2026-01-01T12:00:00.000Z",
    updatedAt: "2026-01-01T12:00:00.000Z",
  };

  beforeEach(() => {
    // These tests make no HTTP calls; give afterEach one valid exchange to check.
    exchanges.push({
      method: "GET",
      url: `${BASE}/v1/invitations/inv_abc123`,
      status: 200,
      contentType: "application/json",
      body: { invitation: valid },
    });
  });

  it("accepts a valid invitation, nulls and newer fields", () => {
    expect(contractProblems("getInvitation", 200, { invitation: valid })).toEqual([]);
    expect(
      contractProblems("listInvitations", 200, {
        items: [valid, { ...valid, connectionType: "messenger", status: "failed", failedAt: null }],
        nextCursor: null,
      }),
    ).toEqual([]);
    expect(contractProblems("cancelInvitation", 400, { code: "invalid_state", message: "m" })).toEqual([]);
  });

  it.each([
    ["a missing required field", { invitation: { ...valid, token: undefined } }],
    ["an unknown status", { invitation: { ...valid, status: "open" } }],
    ["a wrong type", { invitation: { ...valid, clientName: 5 } }],
    ["null where not nullable", { invitation: { ...valid, url: null } }],
    ["a bad date-time", { invitation: { ...valid, createdAt: "yesterday" } }],
    ["an unknown connectionType", { invitation: { ...valid, connectionType: "sms" } }],
    ["no invitation", { items: [] }],
  ])("rejects %s", (_, body) => {
    expect(contractProblems("getInvitation", 200, JSON.parse(JSON.stringify(body)))).not.toEqual([]);
  });

  it("rejects an Error without message, and statuses 0.2.0 does not document", () => {
    expect(contractProblems("cancelInvitation", 400, { code: "invalid_state" })).not.toEqual([]);
    expect(contractProblems("listInvitations", 200, { items: [], nextCursor: 5 })).not.toEqual([]);
    expect(contractProblems("cancelInvitation", 409, { code: "x", message: "m" })).not.toEqual([]);
    expect(contractProblems("getInvitation", 400, { code: "x", message: "m" })).not.toEqual([]);
  });
});
