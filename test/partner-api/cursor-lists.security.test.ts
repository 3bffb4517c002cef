import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { connect } from "../senders/support";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { eventsOf } from "../support/db";

// A cursor is signed for its list: one list's nextCursor on another list is a 400, never a jump
// to a position of rows it does not describe.

type Page = { items: { id: string }[]; nextCursor: string | null };

const LISTS = {
  invitations: "/v1/invitations",
  senders: "/v1/senders",
  deliveries: "/v1/invitations/webhook/deliveries",
} as const;
type List = keyof typeof LISTS;

async function page(apiKey: string, list: List, query: string): Promise<Page> {
  const res = await call(`${LISTS[list]}${query}`, { apiKey });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

/** A project with two rows in each of the three lists, and each list's first-page cursor. */
async function projectWithThreeLists() {
  const { apiKey, projectId } = await createProject();
  for (const number of ["+14155550301", "+14155550302"]) await connect(apiKey, { number });
  // Two delivery attempts of a real event (the row the consumer writes).
  const invitation = await createInvitation(apiKey);
  expect((await call(`/v1/invitations/${invitation.id}/cancel`, { method: "POST", apiKey })).status).toBe(
    200,
  );
  const [event] = await eventsOf(invitation.id);
  if (!event) throw new Error("expected the cancel's event");
  for (const attempt of [1, 2]) {
    await env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, project_id, mode, event_id, invitation_id, attempt, outcome,
         response_status, duration_ms, error, response_excerpt, created_at)
       VALUES (?, ?, 'live', ?, ?, ?, 'failed', 500, 10, NULL, NULL, ?)`,
    )
      .bind(
        `dlv_cursor_${projectId}_${attempt}`,
        projectId,
        event.id,
        invitation.id,
        attempt,
        1_000 + attempt,
      )
      .run();
  }
  const cursors = {} as Record<List, string>;
  for (const list of Object.keys(LISTS) as List[]) {
    const first = await page(apiKey, list, "?limit=1");
    if (!first.nextCursor) throw new Error(`expected a second page of ${list}`);
    cursors[list] = first.nextCursor;
  }
  return { apiKey, cursors };
}

describe("a list's cursor is refused by the other lists", () => {
  it("each of the three lists refuses the other two's cursors (400 invalid_request) and takes its own", async () => {
    const { apiKey, cursors } = await projectWithThreeLists();
    const lists = Object.keys(LISTS) as List[];
    const refused: string[] = [];
    for (const from of lists) {
      for (const to of lists) {
        const query = `?limit=1&cursor=${encodeURIComponent(cursors[from])}`;
        if (from === to) {
          expect((await page(apiKey, to, query)).items, `${from} on its own list`).toHaveLength(1);
          continue;
        }
        const error = await expectError(
          await call(`${LISTS[to]}${query}`, { apiKey }),
          400,
          "invalid_request",
        );
        expect(error.details?.fields).toEqual({ cursor: "Pass nextCursor from a previous page unchanged" });
        refused.push(`${from}->${to}`);
      }
    }
    expect(refused).toEqual([
      "invitations->senders",
      "invitations->deliveries",
      "senders->invitations",
      "senders->deliveries",
      "deliveries->invitations",
      "deliveries->senders",
    ]);
  });
});
