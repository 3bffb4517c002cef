import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../../src/app";
import { BASE } from "../../support/api";

export type Caller = (path: string, init?: RequestInit & { apiKey?: string }) => Promise<Response>;

/** Requests to an app whose clock reads `now()`: the same routes as the Worker, at a chosen time. */
export function callAt(now: () => number): Caller {
  const app = createApp({ now });
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
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
