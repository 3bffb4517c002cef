import { describe, expect, it } from "vitest";
import { eventsOf, invitationCount } from "../proof/support/db";
import {
  cancelRequest,
  createRequest,
  dispatch,
  errorOf,
  invitationOf,
  type Sent,
  setupInvitation,
} from "../proof/support/http";
import { createProject } from "../support/api";

// Many requests with one key in flight at once against one local D1: exactly one acts, the
// others replay its answer (or are refused with 422 for another body), counted in the database.

describe("concurrency: Idempotency-Key", () => {
  it("20 concurrent creates with one key and one body: all 201, one invitation, one row, 19 marked replays of the same body", async () => {
    const { apiKey, projectId } = await createProject("Idem");
    const body = { clientName: "Once", expiresInDays: 5 };
    const sent = await Promise.all(
      Array.from({ length: 20 }, () => dispatch(createRequest(apiKey, body, "create-once"))),
    );
    expect(sent.map((s) => s.res.status)).toEqual(Array(20).fill(201));
    expect(new Set(sent.map((s) => invitationOf(s).id)).size).toBe(1);
    expect(new Set(sent.map((s) => s.text)).size).toBe(1);
    const replayed = sent.filter((s) => s.res.headers.get("idempotent-replayed") === "true");
    const fresh = sent.filter((s) => s.res.headers.get("idempotent-replayed") === null);
    expect(replayed.length).toBe(19);
    expect(fresh.length).toBe(1);
    expect(await invitationCount(projectId)).toBe(1);

    // The same key with another body: 422 idempotency_key_reused (not a retryable 409).
    const reused = await dispatch(createRequest(apiKey, { clientName: "Other" }, "create-once"));
    expect(reused.res.status, reused.text).toBe(422);
    expect(errorOf(reused).code).toBe("idempotency_key_reused");
    expect(await invitationCount(projectId)).toBe(1);

    // Keys are per project: the same key and body elsewhere is a first request there.
    const other = await createProject("Idem elsewhere");
    const elsewhere = await dispatch(createRequest(other.apiKey, body, "create-once"));
    expect(elsewhere.res.status, elsewhere.text).toBe(201);
    expect(elsewhere.res.headers.get("idempotent-replayed")).toBeNull();
    expect(invitationOf(elsewhere).id).not.toBe(invitationOf(sent[0] as Sent).id);
    expect(await invitationCount(other.projectId)).toBe(1);
    expect(await invitationCount(projectId)).toBe(1);
  }, 30_000);

  it("20 concurrent creates with one key and two bodies: one invitation; the winner's body gets 201s, the other 422s", async () => {
    const { apiKey, projectId } = await createProject("Idem split");
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        dispatch(createRequest(apiKey, { clientName: i % 2 === 0 ? "even" : "odd" }, "split")),
      ),
    );
    const created = sent.filter((s) => s.res.status === 201);
    const refused = sent.filter((s) => s.res.status !== 201);
    expect(created.length).toBe(10);
    expect(new Set(created.map((s) => invitationOf(s).id)).size).toBe(1);
    const winner = invitationOf(created[0] as Sent).clientName;
    for (const s of created) expect(JSON.parse(s.req.body as string).clientName).toBe(winner);
    for (const s of refused) {
      expect(s.res.status, s.text).toBe(422);
      expect(errorOf(s).code).toBe("idempotency_key_reused");
      expect(JSON.parse(s.req.body as string).clientName).not.toBe(winner);
    }
    expect(await invitationCount(projectId)).toBe(1);
  }, 30_000);

  it("cancel with a key: the retry of a successful cancel replays its 200 (not a 400); 20 concurrent ones too; one event", async () => {
    const { apiKey } = await createProject("Idem cancel");
    const inv = await setupInvitation(apiKey);
    const first = await dispatch(cancelRequest(apiKey, inv.id, "cancel-1"));
    expect(first.res.status, first.text).toBe(200);
    const retry = await dispatch(cancelRequest(apiKey, inv.id, "cancel-1"));
    expect(retry.res.status, retry.text).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    const withoutKey = await dispatch(cancelRequest(apiKey, inv.id));
    expect(withoutKey.res.status).toBe(400);
    expect(errorOf(withoutKey).code).toBe("invalid_state");
    expect(await eventsOf(inv.id)).toHaveLength(1);

    const second = await setupInvitation(apiKey);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => dispatch(cancelRequest(apiKey, second.id, "cancel-2"))),
    );
    expect(burst.map((s) => s.res.status)).toEqual(Array(20).fill(200));
    expect(new Set(burst.map((s) => s.text)).size).toBe(1);
    expect(burst.filter((s) => s.res.headers.get("idempotent-replayed") === "true")).toHaveLength(19);
    const events = await eventsOf(second.id);
    expect(events.map((e) => `${e.previous_status}>${e.current_status}`)).toEqual(["pending>cancelled"]);
  }, 30_000);
});
