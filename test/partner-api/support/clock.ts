import { appWith, type Caller } from "../../support/app";

export type { Caller };

/** Requests to an app whose clock reads `now()`: the same routes as the Worker, at a chosen time. */
export function callAt(now: () => number): Caller {
  return appWith({ now });
}

/** POST JSON through `caller` and return the created invitation. */
export async function createAt(caller: Caller, apiKey: string, body: unknown = {}) {
  const res = await caller("/v1/invitations", {
    method: "POST",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { invitation: WireInvitation }).invitation;
}

/** An invitation as the API returns it (only the fields these tests read are typed). */
export interface WireInvitation {
  id: string;
  url: string;
  token: string;
  status: string;
  connectionType?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  [key: string]: unknown;
}

export interface WireList {
  items: WireInvitation[];
  nextCursor: string | null;
}
