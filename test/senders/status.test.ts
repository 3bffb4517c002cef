import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senderEvents, senders } from "../../src/db/schema";
import { createProject, expectError } from "../support/api";
import { connect, connected, getSender, rowsOf, withFake } from "./support";

// A sender's own status outside Meta's webhooks: Graph's 190 on a call for it, and the way back
// (a new invitation for the same number renews the token on the same sender).

beforeEach(async () => {
  await createDb(env.DB).delete(senders);
});

const eventsOf = (id: string) =>
  createDb(env.DB)
    .select()
    .from(senderEvents)
    .where(eq(senderEvents.senderId, id))
    .orderBy(senderEvents.createdAt, senderEvents.id);

describe("Graph's 190 and the reconnect", () => {
  it("a revoked token marks the sender reauthorization_required (once); a new invitation for the number makes the same sender active with a new token", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const number = "+14155550971";
    const row = await connected(app, project.apiKey, project.projectId, { number });

    fake.revokeTokens();
    await expectError(
      await app(`/v1/senders/${row.id}/profile`, { apiKey: project.apiKey }),
      400,
      "invalid_state",
    );
    await expectError(
      await app(`/v1/senders/${row.id}/whatsapp-sync`, { apiKey: project.apiKey }),
      400,
      "invalid_state",
    );
    const marked = await getSender(app, project.apiKey, row.id);
    expect(marked.status).toBe("reauthorization_required");
    expect((await eventsOf(row.id)).map((e) => [e.previousStatus, e.currentStatus, e.reason])).toEqual([
      ["active", "reauthorization_required", "graph_error_190"],
    ]);

    await connect(project.apiKey, { number, app });
    const [after] = await rowsOf(project.projectId);
    expect(after?.id).toBe(row.id);
    expect(after?.accessTokenCiphertext).not.toBe(row.accessTokenCiphertext);
    expect([after?.status, after?.statusReason]).toEqual(["active", "reconnected"]);
    expect((await eventsOf(row.id)).map((e) => [e.previousStatus, e.currentStatus, e.reason])).toEqual([
      ["active", "reauthorization_required", "graph_error_190"],
      ["reauthorization_required", "active", "reconnected"],
    ]);
    expect((await app(`/v1/senders/${row.id}/profile`, { apiKey: project.apiKey })).status).toBe(200);
  });

  it("a reconnect of an active sender changes no status and makes no event", async () => {
    const { app } = withFake();
    const project = await createProject();
    const number = "+14155550972";
    const row = await connected(app, project.apiKey, project.projectId, { number });
    await connect(project.apiKey, { number, app });
    const [after] = await rowsOf(project.projectId);
    expect([after?.id, after?.status, after?.statusReason]).toEqual([row.id, "active", null]);
    expect(await eventsOf(row.id)).toEqual([]);
  });

  it("a restricted sender stays restricted through a reconnect (Meta's restriction is not the token's)", async () => {
    const { app } = withFake();
    const project = await createProject();
    const number = "+14155550973";
    const row = await connected(app, project.apiKey, project.projectId, { number });
    await createDb(env.DB)
      .update(senders)
      .set({ status: "restricted", statusReason: "ACCOUNT_RESTRICTION" })
      .where(eq(senders.id, row.id));
    await connect(project.apiKey, { number, app });
    const [after] = await rowsOf(project.projectId);
    expect([after?.status, after?.statusReason]).toEqual(["restricted", "ACCOUNT_RESTRICTION"]);
  });
});
