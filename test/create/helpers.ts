import { expect } from "vitest";

// Direct reads of the local D1 behind the Worker, to check what a request did (or did not)
// store, and values shared by the create tests.

export type { InvitationDbRow as Row } from "../support/db";
export { countInvitations, invitationRow } from "../support/db";

/** Every error body carries the request id, equal to the X-Request-Id response header. */
export function expectRequestId(res: Response, body: { details?: Record<string, unknown> }) {
  const header = res.headers.get("X-Request-Id");
  expect(header, "X-Request-Id header").toMatch(/^[0-9a-f-]{36}$/);
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
