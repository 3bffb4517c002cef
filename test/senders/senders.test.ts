import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { findPin } from "../../src/onboarding/pins";
import { call, createProject, expectError } from "../support/api";
import { connect } from "./support";

type Sender = Record<string, unknown> & { id: string };
type Page = { items: Sender[]; nextCursor: string | null };

async function list(apiKey: string, query = ""): Promise<Page> {
  const res = await call(`/v1/senders${query}`, { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

describe("GET /v1/senders and /v1/senders/{senderId}", () => {
  it("answers the sender itself, with exactly the SDK's fields and no secret", async () => {
    const project = await createProject();
    await connect(project.apiKey, { number: "+5215512345678" });
    const [row] = await createDb(env.DB)
      .select()
      .from(senders)
      .where(eq(senders.projectId, project.projectId));
    if (!row) throw new Error("no sender");
    const res = await call(`/v1/senders/${row.id}`, { apiKey: project.apiKey });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      id: row.id,
      name: "Test Business",
      phoneNumber: "+5215512345678",
      channels: ["whatsapp"],
      isDefault: true,
      status: "active",
      statusChangedAt: new Date(row.createdAt).toISOString(),
      whatsapp: {
        displayPhoneNumber: "+52 15512345678",
        phoneNumberId: row.providerAccountId,
        qualityRating: null,
        messagingLimitTier: null,
        nameStatus: null,
        paymentStatus: { setupStatus: "COMPLETE", methodStatus: "VALID", canSendTemplates: true },
      },
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    });
    const pin = await findPin(createDb(env.DB), row.providerAccountId);
    for (const secret of [row.accessTokenCiphertext, pin?.pinCiphertext ?? "none", "EAA"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("another project's sender, and an unknown id, are 404 not_found", async () => {
    const owner = await createProject();
    const other = await createProject();
    await connect(owner.apiKey, { messenger: true });
    const [row] = await createDb(env.DB).select().from(senders).where(eq(senders.projectId, owner.projectId));
    await expectError(await call(`/v1/senders/${row?.id}`, { apiKey: other.apiKey }), 404, "not_found");
    await expectError(await call("/v1/senders/snd_doesnotexist", { apiKey: owner.apiKey }), 404, "not_found");
    expect((await list(other.apiKey)).items).toEqual([]);
    await expectError(await call("/v1/senders"), 401, "unauthorized");
  });

  it("lists newest first, a page at a time, every sender once", async () => {
    const project = await createProject();
    const numbers = ["+14155550101", "+14155550102", "+14155550103"];
    for (const number of numbers) await connect(project.apiKey, { number });
    await connect(project.apiKey, { messenger: true });
    const all = await list(project.apiKey);
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((s) => s.phoneNumber)).toEqual(["", ...[...numbers].reverse()]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(
        project.apiKey,
        `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.items).toHaveLength(1);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((s) => s.id));
  });

  it("refuses a bad limit, a forged cursor and an invitations cursor with 400 invalid_request", async () => {
    const project = await createProject();
    await connect(project.apiKey);
    await connect(project.apiKey, { number: "+14155550199" });
    for (const query of ["?limit=0", "?limit=101", "?limit=x", "?cursor=abc", "?cursor=abc.def"]) {
      await expectError(
        await call(`/v1/senders${query}`, { apiKey: project.apiKey }),
        400,
        "invalid_request",
      );
    }
    // A cursor of the invitations list is not one of this list.
    const invitations = await call("/v1/invitations?limit=1", { apiKey: project.apiKey });
    const { nextCursor } = (await invitations.json()) as { nextCursor: string };
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f]{32}$/);
    await expectError(
      await call(`/v1/senders?cursor=${encodeURIComponent(nextCursor)}`, { apiKey: project.apiKey }),
      400,
      "invalid_request",
    );
  });
});
