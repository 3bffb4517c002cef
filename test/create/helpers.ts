import { env } from "cloudflare:workers";
import { expect } from "vitest";

// Direct reads of the local D1 behind the Worker, to check what a request did (or did not)
// store, and values shared by the create tests.

export type Row = Record<string, unknown>;

export async function countInvitations(projectId?: string): Promise<number> {
  const row =
    projectId === undefined
      ? await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations").first<{ n: number }>()
      : await env.DB.prepare("SELECT COUNT(*) AS n FROM invitations WHERE project_id = ?")
          .bind(projectId)
          .first<{ n: number }>();
  if (!row) throw new Error("COUNT(*) returned no row");
  return row.n;
}

export async function invitationRow(id: string): Promise<Row> {
  const row = await env.DB.prepare("SELECT * FROM invitations WHERE id = ?").bind(id).first<Row>();
  if (!row) throw new Error(`no invitations row with id ${id}`);
  return row;
}

/** Every error body carries the request id, equal to the X-Request-Id response header. */
export function expectRequestId(res: Response, body: { details?: Record<string, unknown> }) {
  const header = res.headers.get("X-Request-Id");
  expect(header, "X-Request-Id header").toBeTruthy();
  expect(body.details?.requestId, "details.requestId").toBe(header);
}

/** A syntactically plausible address of exactly `length` characters (each label < 64). */
export function longEmail(length: number): string {
  const local = "a".repeat(60);
  const labels: string[] = [];
  let address = `${local}@example.com`;
  while (address.length < length) {
    const room = length - address.length - 1; // one "." per added label
    labels.push("b".repeat(Math.min(60, room)));
    address = `${local}@${labels.join(".")}.example.com`;
  }
  return address;
}
