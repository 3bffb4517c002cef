import { describe, expect, it } from "vitest";
import { INVITATION_STATUSES, type InvitationStatus } from "../../src/db/schema";
import {
  addPhoneNumber,
  call,
  createInvitation,
  createProject,
  expectError,
  postJson,
  type TestProject,
} from "../support/api";
import type { WireInvitation } from "./support/clock";
import { eventsOf, readRow, setExpiresAt, setStatus } from "./support/db";
import { listAll, listPage } from "./support/list";

/** Project A with an invitation in every status (the expired one both ways), and project B. */
async function twoProjects() {
  const a = await createProject("Partner A");
  const b = await createProject("Partner B");
  const make = async () => (await createInvitation(a.apiKey, { clientName: "A's client" })).id;
  const aIds: Record<string, string> = {
    pending: await make(),
    in_progress: await make(),
    completed: await make(),
    failed: await make(),
    cancelled: await make(),
    expired: await make(),
    expiredByTime: await make(),
  };
  await setStatus(aIds.in_progress as string, "in_progress");
  await setStatus(aIds.completed as string, "in_progress");
  await setStatus(aIds.completed as string, "completed");
  await setStatus(aIds.failed as string, "in_progress");
  await setStatus(aIds.failed as string, "failed");
  expect(
    (await call(`/v1/invitations/${aIds.cancelled}/cancel`, { method: "POST", apiKey: a.apiKey })).status,
  ).toBe(200);
  await setExpiresAt(aIds.expired as string, Date.now() - 60_000);
  await setStatus(aIds.expired as string, "expired");
  await setExpiresAt(aIds.expiredByTime as string, Date.now() - 60_000);
  const bIds = [
    (await createInvitation(b.apiKey, { clientName: "B's client" })).id,
    (await createInvitation(b.apiKey)).id,
  ];
  return { a, b, aIds, aAll: Object.values(aIds), bIds };
}

/** The Error body without its per-request `requestId`, to compare two 404s. */
async function errorShape(res: Response, status: number, code: string) {
  const body = await expectError(res, status, code);
  const { requestId: _ignored, ...details } = (body.details ?? {}) as Record<string, unknown>;
  return { code: body.code, message: body.message, details };
}

describe("isolation between projects", () => {
  it("B cannot read A's invitations: 404, the same answer as for an id that does not exist", async () => {
    const { a, b, aAll } = await twoProjects();
    const unknown = await errorShape(
      await call("/v1/invitations/inv_doesnotexist00000000000", { apiKey: b.apiKey }),
      404,
      "not_found",
    );
    for (const id of aAll) {
      const res = await call(`/v1/invitations/${id}`, { apiKey: b.apiKey });
      expect(await errorShape(res, 404, "not_found"), id).toEqual(unknown);
      // A still reads it.
      expect((await call(`/v1/invitations/${id}`, { apiKey: a.apiKey })).status).toBe(200);
    }
  });

  it("B's list never contains A's invitations, with or without a status filter", async () => {
    const { a, b, aAll, bIds } = await twoProjects();
    const unfiltered = await listAll(b.apiKey);
    expect(unfiltered.items.map((i) => i.id).sort()).toEqual([...bIds].sort());
    for (const status of INVITATION_STATUSES) {
      const { items } = await listAll(b.apiKey, { status });
      const ids = items.map((i) => i.id);
      for (const id of aAll) expect(ids, `${status} ${id}`).not.toContain(id);
      expect(ids.sort(), status).toEqual(status === "pending" ? [...bIds].sort() : []);
    }
    // A, for contrast, sees each of its own under its status.
    const byStatus = new Map<InvitationStatus, string[]>();
    for (const status of INVITATION_STATUSES) {
      byStatus.set(
        status,
        (await listAll(a.apiKey, { status })).items.map((i) => i.id),
      );
    }
    expect(byStatus.get("expired")).toHaveLength(2);
    expect([...byStatus.values()].flat().sort()).toEqual([...aAll].sort());
  });

  it("B cannot cancel A's invitations: 404 whatever their status, and nothing changes", async () => {
    const { a, b, aIds, aAll } = await twoProjects();
    const rowsBefore = await Promise.all(aAll.map((id) => readRow(id)));
    const eventsBefore = await Promise.all(aAll.map((id) => eventsOf(id)));
    for (const id of aAll) {
      // Not 400 invalid_state for A's completed or cancelled ones: that would reveal them.
      const res = await call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey: b.apiKey });
      await expectError(res, 404, "not_found");
    }
    expect(await Promise.all(aAll.map((id) => readRow(id)))).toEqual(rowsBefore);
    expect(await Promise.all(aAll.map((id) => eventsOf(id)))).toEqual(eventsBefore);
    const pending = await call(`/v1/invitations/${aIds.pending}`, { apiKey: a.apiKey });
    expect(((await pending.json()) as { invitation: WireInvitation }).invitation.status).toBe("pending");
    expect((await readRow(aIds.pending as string)).status).toBe("pending");
  });

  it("B cannot use A's cursor: 400 invalid_request", async () => {
    const { a, b } = await twoProjects();
    const page = await listPage(a.apiKey, "limit=2");
    expect(page.nextCursor).toEqual(expect.any(String));
    const cursor = encodeURIComponent(page.nextCursor ?? "");
    const body = await expectError(
      await call(`/v1/invitations?limit=2&cursor=${cursor}`, { apiKey: b.apiKey }),
      400,
      "invalid_request",
    );
    expect(Object.keys((body.details?.fields ?? {}) as object)).toContain("cursor");
    for (const status of INVITATION_STATUSES) {
      await expectError(
        await call(`/v1/invitations?status=${status}&cursor=${cursor}`, { apiKey: b.apiKey }),
        400,
        "invalid_request",
      );
    }
    // A's own cursor works for A.
    expect((await listPage(a.apiKey, `limit=2&cursor=${cursor}`)).items).toHaveLength(2);
  });

  it("B cannot use A's phoneNumberId on create: 400 invalid_request naming phoneNumberId", async () => {
    const a: TestProject = await createProject("Partner A");
    const b: TestProject = await createProject("Partner B");
    const phoneNumberId = await addPhoneNumber(a.projectId);
    const body = await expectError(
      await postJson("/v1/invitations", b.apiKey, { phoneNumberId }),
      400,
      "invalid_request",
    );
    expect(Object.keys((body.details?.fields ?? {}) as object)).toContain("phoneNumberId");
    expect((await listAll(b.apiKey)).items).toEqual([]);
    // The same number is fine for its own project, so the 400 above was about ownership.
    const own = await createInvitation(a.apiKey, { phoneNumberId });
    expect(own.phoneNumberId).toBe(phoneNumberId);
  });
});
