import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, createInvitation, createProject } from "../support/api";
import { eventsOf, invitationRow } from "../support/db";
import { withChangeBeforeTheWrite } from "./support";

// A cancel with an Idempotency-Key predicts its answer from the claim's read and writes only
// if the row is still as read. Here a change lands between the claim and the write (forced
// through the real Worker on the real D1): the answer is the state the write met, remembered.

// The raced app's clock: apart from the real one the competing request runs on.
const NOW = Date.now() + 60 * 60 * 1000;
const racedAtNow = (apiKey: string, compete: () => Promise<void>) =>
  withChangeBeforeTheWrite(apiKey, compete, { now: () => NOW });

const cancelWithKey = (apiKey: string, key: string) => ({
  method: "POST",
  apiKey,
  headers: { "Idempotency-Key": key },
});

describe("cancel: a change between the claim and the write", () => {
  it("another request cancels first: 400 invalid_state (not the predicted 200), remembered; one event", async () => {
    const { apiKey } = await createProject();
    const { id } = await createInvitation(apiKey);
    const race = await racedAtNow(apiKey, async () => {
      expect((await call(`/v1/invitations/${id}/cancel`, { method: "POST", apiKey })).status).toBe(200);
    });
    const path = `/v1/invitations/${id}/cancel`;
    const first = await race.fetchApp(path, cancelWithKey(apiKey, "raced-cancel"));
    const text = await first.text();
    expect(first.status, text).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: "invalid_state", details: { status: "cancelled" } });
    // The claim with the read, the write whose prediction failed, the record of the refusal.
    expect(race.roundTrips()).toBe(3);
    const replay = await race.fetchApp(path, cancelWithKey(apiKey, "raced-cancel"));
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect([replay.status, await replay.text()]).toEqual([400, text]);
    expect((await eventsOf(id)).map((e) => `${e.previous_status}>${e.current_status}`)).toEqual([
      "pending>cancelled",
    ]);
  });

  it("the invitation is viewed (still open, updatedAt moved): cancelled as it is now, 200 with viewedAt, remembered", async () => {
    const { apiKey } = await createProject();
    const { id, token } = await createInvitation(apiKey);
    const race = await racedAtNow(apiKey, async () => {
      const page = await exports.default.fetch(new Request(`${BASE}/invite/${token}`));
      expect(page.status).toBe(200);
      await page.arrayBuffer();
    });
    const path = `/v1/invitations/${id}/cancel`;
    const first = await race.fetchApp(path, cancelWithKey(apiKey, "viewed-cancel"));
    const text = await first.text();
    expect(first.status, text).toBe(200);
    const { invitation } = JSON.parse(text) as { invitation: { status: string; viewedAt: string | null } };
    expect(invitation.status).toBe("cancelled");
    expect(invitation.viewedAt).not.toBeNull();
    // The claim with the read, the write that found the row changed, the cancel of the row as
    // it is now, the record of its answer.
    expect(race.roundTrips()).toBe(4);
    const row = await invitationRow(id);
    expect([row.status, row.cancelled_at, row.viewed_at === null]).toEqual(["cancelled", NOW, false]);
    const replay = await race.fetchApp(path, cancelWithKey(apiKey, "viewed-cancel"));
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect([replay.status, await replay.text()]).toEqual([200, text]);
    expect((await eventsOf(id)).map((e) => `${e.previous_status}>${e.current_status}`)).toEqual([
      "pending>cancelled",
    ]);
  });
});
