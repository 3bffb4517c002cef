import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addPhoneNumber, BASE, call, createInvitation, createProject, postJson } from "../support/api";
import { countInvitations, invitationRow, longEmail } from "./helpers";

const DAY_MS = 86_400_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Every field of the contract's Invitation (0.2.0 plus the fields `@zavudev/sdk` knows). */
const INVITATION_FIELDS = [
  "id",
  "url",
  "token",
  "clientName",
  "clientEmail",
  "clientPhone",
  "phoneNumberId",
  "connectionType",
  "status",
  "senderId",
  "connectedAccount",
  "failureReason",
  // Additive (the number step of a running WhatsApp attempt): null unless in_progress.
  "onboardingStep",
  "expiresAt",
  "viewedAt",
  "startedAt",
  "completedAt",
  "failedAt",
  // Additive: which numbers the client may connect, and the page's language (null when omitted).
  "phoneNumberType",
  "language",
  "createdAt",
  "updatedAt",
  // Additions of this service (the return links).
  "successRedirectUrl",
  "failureRedirectUrl",
  // Not the contract's: the partner's own pairs, `{}` when none.
  "metadata",
];

type Invitation = Record<string, unknown> & { id: string; token: string };

interface Expected {
  clientName?: string;
  clientEmail?: string;
  clientPhone?: string;
  phoneNumberId?: string;
  connectionType?: string;
  days?: number;
}

async function expectCreated(res: Response): Promise<Invitation> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { invitation: Invitation };
  expect(Object.keys(body)).toEqual(["invitation"]);
  return body.invitation;
}

function ms(value: unknown): number {
  expect(value).toMatch(ISO_UTC);
  const parsed = Date.parse(value as string);
  expect(Number.isNaN(parsed)).toBe(false);
  return parsed;
}

/** Asserts every field of a freshly created invitation. */
function expectNewInvitation(inv: Invitation, expected: Expected, window?: { from: number; to: number }) {
  expect(Object.keys(inv).sort()).toEqual([...INVITATION_FIELDS].sort());
  expect(inv.id).toMatch(/^inv_[0-9a-z]{24}$/);
  expect(inv.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  expect(inv.url).toBe(`${BASE}/invite/${inv.token}`);
  expect(inv).toHaveProperty("clientName", expected.clientName ?? null);
  expect(inv).toHaveProperty("clientEmail", expected.clientEmail ?? null);
  expect(inv).toHaveProperty("clientPhone", expected.clientPhone ?? null);
  expect(inv).toHaveProperty("phoneNumberId", expected.phoneNumberId ?? null);
  expect(inv.connectionType).toBe(expected.connectionType ?? "whatsapp_waba");
  expect(inv.status).toBe("pending");
  for (const field of [
    "senderId",
    "connectedAccount",
    "failureReason",
    "onboardingStep",
    "viewedAt",
    "startedAt",
    "completedAt",
    "failedAt",
  ]) {
    expect(inv, field).toHaveProperty(field, null);
  }
  const createdAt = ms(inv.createdAt);
  expect(ms(inv.updatedAt)).toBe(createdAt);
  expect(ms(inv.expiresAt) - createdAt).toBe((expected.days ?? 7) * DAY_MS);
  if (window) {
    expect(createdAt).toBeGreaterThanOrEqual(window.from);
    expect(createdAt).toBeLessThanOrEqual(window.to);
  }
}

function postRaw(apiKey: string, body: BodyInit | undefined, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = contentType === undefined ? {} : { "Content-Type": contentType };
  return call("/v1/invitations", { method: "POST", apiKey, headers, body });
}

describe("POST /v1/invitations: the seed's examples", () => {
  it("basic: { clientName: 'Acme Corp' } → 201 with every field of the Invitation", async () => {
    const { apiKey } = await createProject();
    const from = Date.now();
    const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { clientName: "Acme Corp" }));
    const to = Date.now();
    expectNewInvitation(inv, { clientName: "Acme Corp" }, { from, to });
  });

  it("full: every option → 201 with the options echoed and expiresAt 14 days after createdAt", async () => {
    const { apiKey } = await createProject();
    const inv = await expectCreated(
      await postJson("/v1/invitations", apiKey, {
        clientName: "Acme Corp",
        clientEmail: "contact@acme.com",
        clientPhone: "+14155551234",
        expiresInDays: 14,
        allowedPhoneCountries: ["US", "MX"],
      }),
    );
    expectNewInvitation(inv, {
      clientName: "Acme Corp",
      clientEmail: "contact@acme.com",
      clientPhone: "+14155551234",
      days: 14,
    });
    const row = await invitationRow(inv.id);
    expect(row.allowed_phone_countries).toBe('["US","MX"]');
  });
});

describe("POST /v1/invitations: an optional body means the defaults", () => {
  const cases: { name: string; body?: BodyInit; contentType?: string }[] = [
    { name: "no body and no Content-Type" },
    { name: "an empty body with Content-Type application/json", body: "", contentType: "application/json" },
    {
      name: "a whitespace body with Content-Type application/json",
      body: " \n\t ",
      contentType: "application/json",
    },
    { name: "{}", body: "{}", contentType: "application/json" },
    {
      name: "{} as application/json; charset=utf-8",
      body: "{}",
      contentType: "application/json; charset=utf-8",
    },
  ];
  for (const { name, body, contentType } of cases) {
    it(`${name} → 201, 7 days, whatsapp_waba, no client fields`, async () => {
      const { apiKey, projectId } = await createProject();
      const inv = await expectCreated(await postRaw(apiKey, body, contentType));
      expectNewInvitation(inv, {});
      const row = await invitationRow(inv.id);
      expect(row.project_id).toBe(projectId);
      expect(row.allowed_phone_countries).toBeNull();
      expect(row.connection_type).toBe("whatsapp_waba");
      expect(await countInvitations(projectId)).toBe(1);
    });
  }
});

describe("POST /v1/invitations: accepted values", () => {
  it("lower-case allowedPhoneCountries are accepted and stored upper case", async () => {
    const { apiKey } = await createProject();
    const inv = await expectCreated(
      await postJson("/v1/invitations", apiKey, { allowedPhoneCountries: ["us", "mx"] }),
    );
    expectNewInvitation(inv, {});
    const row = await invitationRow(inv.id);
    expect(row.allowed_phone_countries).toBe('["US","MX"]');
  });

  it("connectionType messenger with clientName → 201 connectionType messenger", async () => {
    const { apiKey } = await createProject();
    const inv = await expectCreated(
      await postJson("/v1/invitations", apiKey, { clientName: "Acme Corp", connectionType: "messenger" }),
    );
    expectNewInvitation(inv, { clientName: "Acme Corp", connectionType: "messenger" });
    const row = await invitationRow(inv.id);
    expect(row.connection_type).toBe("messenger");
    expect(row.phone_number_id).toBeNull();
    expect(row.allowed_phone_countries).toBeNull();
  });

  it("explicit connectionType whatsapp_waba → 201 whatsapp_waba", async () => {
    const { apiKey } = await createProject();
    const inv = await expectCreated(
      await postJson("/v1/invitations", apiKey, { connectionType: "whatsapp_waba" }),
    );
    expectNewInvitation(inv, { connectionType: "whatsapp_waba" });
  });

  it("a phoneNumberId of the project → 201; once that invitation is cancelled the number is free again", async () => {
    const { apiKey, projectId } = await createProject();
    const phoneNumberId = await addPhoneNumber(projectId);
    const first = await expectCreated(await postJson("/v1/invitations", apiKey, { phoneNumberId }));
    expectNewInvitation(first, { phoneNumberId });
    expect((await invitationRow(first.id)).phone_number_id).toBe(phoneNumberId);

    // Held by an open invitation: refused.
    const held = await postJson("/v1/invitations", apiKey, { phoneNumberId });
    expect(held.status).toBe(400);

    const cancel = await call(`/v1/invitations/${first.id}/cancel`, { method: "POST", apiKey });
    expect(cancel.status).toBe(200);
    const cancelled = ((await cancel.json()) as { invitation: Invitation }).invitation;
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.phoneNumberId).toBe(phoneNumberId);

    const second = await expectCreated(await postJson("/v1/invitations", apiKey, { phoneNumberId }));
    expectNewInvitation(second, { phoneNumberId });
    expect(second.id).not.toBe(first.id);
    expect(await countInvitations(projectId)).toBe(2);
  });

  it("clientName of exactly 100 characters", async () => {
    const { apiKey } = await createProject();
    const clientName = "n".repeat(100);
    const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { clientName }));
    expectNewInvitation(inv, { clientName });
  });

  it("clientName of exactly 100 characters outside the BMP (JSON Schema maxLength counts characters)", async () => {
    const { apiKey } = await createProject();
    const clientName = "😀".repeat(50) + "𠀀".repeat(50);
    expect([...clientName]).toHaveLength(100);
    const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { clientName }));
    expectNewInvitation(inv, { clientName });
    expect((await invitationRow(inv.id)).client_name).toBe(clientName);
  });

  it("clientEmail of 254 characters (the longest address SMTP allows)", async () => {
    const { apiKey } = await createProject();
    const clientEmail = longEmail(254);
    expect(clientEmail).toHaveLength(254);
    const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { clientEmail }));
    expectNewInvitation(inv, { clientEmail });
  });

  for (const days of [1, 30]) {
    it(`expiresInDays ${days} → expiresAt exactly ${days} × 86400000 ms after createdAt`, async () => {
      const { apiKey } = await createProject();
      const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { expiresInDays: days }));
      expectNewInvitation(inv, { days });
      const row = await invitationRow(inv.id);
      expect(Number(row.expires_at) - Number(row.created_at)).toBe(days * DAY_MS);
    });
  }

  for (const clientPhone of ["+12", "+123456789012345"]) {
    it(`E.164 at the edge: ${clientPhone} (${clientPhone.length - 1} digits)`, async () => {
      const { apiKey } = await createProject();
      const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { clientPhone }));
      expectNewInvitation(inv, { clientPhone });
    });
  }

  it("the number of an invitation past its expiresAt (not swept yet) is free: 201, the old one is expired", async () => {
    const { apiKey, projectId } = await createProject();
    const phoneNumberId = await addPhoneNumber(projectId);
    const old = await createInvitation(apiKey, { phoneNumberId, expiresInDays: 1 });
    const past = Date.now() - 1000;
    await env.DB.prepare("UPDATE invitations SET expires_at = ?, created_at = ?, updated_at = ? WHERE id = ?")
      .bind(past, past - DAY_MS, past - DAY_MS, old.id)
      .run();

    const inv = await expectCreated(await postJson("/v1/invitations", apiKey, { phoneNumberId }));
    expectNewInvitation(inv, { phoneNumberId });
    const oldRow = await invitationRow(old.id);
    expect(oldRow.status).toBe("expired");
    expect(oldRow.updated_at).toBe(past);
  });

  it("two concurrent creates with the same free phoneNumberId: exactly one 201, the other 400", async () => {
    const { apiKey, projectId } = await createProject();
    const phoneNumberId = await addPhoneNumber(projectId);
    const responses = await Promise.all(
      [1, 2, 3].map(() => postJson("/v1/invitations", apiKey, { phoneNumberId })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 400, 400]);
    for (const res of responses.filter((r) => r.status === 400)) {
      const body = (await res.json()) as { code: string; details?: { fields?: Record<string, string> } };
      expect(body.code).toBe("invalid_request");
      expect(Object.keys(body.details?.fields ?? {})).toEqual(["phoneNumberId"]);
    }
    expect(await countInvitations(projectId)).toBe(1);
  });

  it("two creates give distinct ids and tokens", async () => {
    const { apiKey } = await createProject();
    const a = await createInvitation(apiKey, { clientName: "A" });
    const b = await createInvitation(apiKey, { clientName: "A" });
    expect(a.id).not.toBe(b.id);
    expect(a.token).not.toBe(b.token);
    expect(a.url).not.toBe(b.url);
  });
});

describe("POST /v1/invitations: what is stored", () => {
  it("the row is what the response said, and the token is not stored in plain text", async () => {
    const { apiKey, projectId } = await createProject();
    const inv = await expectCreated(
      await postJson("/v1/invitations", apiKey, {
        clientName: "Acme Corp",
        clientEmail: "contact@acme.com",
        clientPhone: "+14155551234",
        expiresInDays: 3,
        allowedPhoneCountries: ["MX"],
      }),
    );
    const row = await invitationRow(inv.id);
    expect(row.id).toBe(inv.id);
    expect(row.project_id).toBe(projectId);
    expect(row.client_name).toBe(inv.clientName);
    expect(row.client_email).toBe(inv.clientEmail);
    expect(row.client_phone).toBe(inv.clientPhone);
    expect(row.phone_number_id).toBe(inv.phoneNumberId);
    expect(row.connection_type).toBe(inv.connectionType);
    expect(row.status).toBe(inv.status);
    expect(row.allowed_phone_countries).toBe('["MX"]');
    expect(row.created_at).toBe(ms(inv.createdAt));
    expect(row.updated_at).toBe(ms(inv.updatedAt));
    expect(row.expires_at).toBe(ms(inv.expiresAt));
    for (const column of [
      "viewed_at",
      "started_at",
      "completed_at",
      "failed_at",
      "cancelled_at",
      "sender_id",
    ]) {
      expect(row[column], column).toBeNull();
    }

    // Neither the token nor the URL that carries it is in any column, in any form that
    // contains it verbatim.
    expect(inv.token.length).toBeGreaterThanOrEqual(43);
    for (const [column, value] of Object.entries(row)) {
      if (value === null) continue;
      expect(String(value), column).not.toContain(inv.token);
    }
    expect(Object.values(row)).not.toContain(inv.url);
  });
});
