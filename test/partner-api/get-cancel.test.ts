import { describe, expect, it } from "vitest";
import type { InvitationStatus } from "../../src/db/schema";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { callAt, type WireInvitation } from "./support/clock";
import { eventsOf, readRow, setExpiresAt, setStatus } from "./support/db";

const cancelPath = (id: string) => `/v1/invitations/${id}/cancel`;

/** Drives an invitation to `status` the way the state machine would get there, by SQL. */
async function moveTo(id: string, status: "in_progress" | "failed" | "completed"): Promise<number> {
  await setStatus(id, "in_progress");
  if (status === "in_progress") return 1;
  await setStatus(id, status);
  return 2;
}

describe("GET /v1/invitations/{invitationId}", () => {
  it("returns { invitation } equal to what create returned", async () => {
    const { apiKey } = await createProject();
    const created = await createInvitation(apiKey, {
      clientName: "Acme Corp",
      clientEmail: "contact@acme.com",
      clientPhone: "+14155551234",
      expiresInDays: 14,
      allowedPhoneCountries: ["US", "MX"],
    });
    const res = await call(`/v1/invitations/${created.id}`, { apiKey });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["invitation"]);
    expect(body.invitation).toEqual(created);
  });

  it("answers 404 not_found for an unknown id", async () => {
    const { apiKey } = await createProject();
    await createInvitation(apiKey);
    for (const id of ["inv_doesnotexist00000000000", "nope", "inv_"]) {
      await expectError(await call(`/v1/invitations/${id}`, { apiKey }), 404, "not_found");
    }
  });
});

describe("POST /v1/invitations/{invitationId}/cancel", () => {
  it.each(["pending", "in_progress", "failed"] as const)(
    "cancels a %s invitation: 200, cancelled, updatedAt moved forward, one event",
    async (from) => {
      const { apiKey } = await createProject();
      const created = await createInvitation(apiKey);
      const earlierEvents = from === "pending" ? 0 : await moveTo(created.id, from);
      const later = Date.parse(created.updatedAt as string) + 60_000;

      const res = await callAt(() => later)(cancelPath(created.id), { method: "POST", apiKey });
      expect(res.status).toBe(200);
      const { invitation } = (await res.json()) as { invitation: WireInvitation };
      expect(invitation.id).toBe(created.id);
      expect(invitation.status).toBe("cancelled");
      expect(invitation.updatedAt).toBe(new Date(later).toISOString());
      expect(Date.parse(invitation.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt as string));
      expect(invitation.token).toBe(created.token);
      expect(invitation.createdAt).toBe(created.createdAt);

      const row = await readRow(created.id);
      expect(row.status).toBe("cancelled");
      expect(row.updated_at).toBe(later);
      expect(row.cancelled_at).toBe(later);

      const events = await eventsOf(created.id);
      expect(events).toHaveLength(earlierEvents + 1);
      const toCancelled = events.filter((e) => e.current_status === "cancelled");
      expect(toCancelled).toHaveLength(1);
      expect(toCancelled[0]).toMatchObject({ previous_status: from, current_status: "cancelled" });

      // Reads agree.
      const read = await call(`/v1/invitations/${created.id}`, { apiKey });
      expect(((await read.json()) as { invitation: WireInvitation }).invitation).toEqual(invitation);
    },
  );

  async function expectInvalidState(res: Response, status: InvitationStatus) {
    expect(res.status).not.toBe(409);
    const body = await expectError(res, 400, "invalid_state");
    expect(body.message).toContain(status);
    return body;
  }

  it.each([
    ["completed", "completed"],
    ["cancelled", "cancelled"],
    ["expired (persisted)", "expired"],
    ["expired by time (row still pending)", "expired"],
  ] as const)("refuses to cancel a %s invitation: 400 invalid_state, never 409", async (label, shown) => {
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    if (label === "completed") {
      await moveTo(id, "completed");
    } else if (label === "cancelled") {
      expect((await call(cancelPath(id), { method: "POST", apiKey })).status).toBe(200);
    } else if (label === "expired (persisted)") {
      await setExpiresAt(id, Date.now() - 60_000);
      await setStatus(id, "expired");
    } else {
      await setExpiresAt(id, Date.now() - 60_000);
      expect((await readRow(id)).status).toBe("pending");
    }
    const before = await readRow(id);
    const eventsBefore = await eventsOf(id);

    const body = await expectInvalidState(await call(cancelPath(id), { method: "POST", apiKey }), shown);
    expect(body.details).toMatchObject({ status: shown });

    // A refused cancel writes nothing, not even the expiry a row past expiresAt is due (the
    // sweep persists that).
    expect(await readRow(id)).toEqual(before);
    expect(await eventsOf(id)).toEqual(eventsBefore);
    const read = await call(`/v1/invitations/${id}`, { apiKey });
    expect(((await read.json()) as { invitation: WireInvitation }).invitation.status).toBe(shown);
  });

  it("a second cancel is 400 invalid_state and changes nothing", async () => {
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    const first = await call(cancelPath(id), { method: "POST", apiKey });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { invitation: WireInvitation };
    const rowAfterFirst = await readRow(id);

    await expectInvalidState(await call(cancelPath(id), { method: "POST", apiKey }), "cancelled");
    expect(await readRow(id)).toEqual(rowAfterFirst);
    expect((await eventsOf(id)).filter((e) => e.current_status === "cancelled")).toHaveLength(1);
    const read = await call(`/v1/invitations/${id}`, { apiKey });
    expect(((await read.json()) as { invitation: WireInvitation }).invitation).toEqual(firstBody.invitation);
  });

  it("answers 404 not_found for an unknown id", async () => {
    const { apiKey } = await createProject();
    await expectError(
      await call(cancelPath("inv_doesnotexist00000000000"), { method: "POST", apiKey }),
      404,
      "not_found",
    );
  });

  it("a cancelled invitation's link no longer works", async () => {
    const { apiKey } = await createProject();
    const live = await createInvitation(apiKey);
    const cancelled = await createInvitation(apiKey);
    expect((await call(cancelPath(cancelled.id), { method: "POST", apiKey })).status).toBe(200);
    expect((await readRow(cancelled.id)).status).toBe("cancelled");

    const livePath = new URL(live.url as string).pathname;
    const cancelledPath = new URL(cancelled.url as string).pathname;
    expect(livePath).toBe(`/invite/${live.token}`);
    expect(cancelledPath).toBe(`/invite/${cancelled.token}`);

    expect((await call(livePath)).status).toBe(200);
    const error = await expectError(await call(cancelledPath), 410, "gone");
    expect(error.details?.status).toBe("cancelled");
  });
});
