import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { type AppOptions, createApp } from "../../src/app";
import { createDb } from "../../src/db/client";
import { apiKeys, type InvitationRow, invitations, type SenderRow, senders } from "../../src/db/schema";
import { createFakeMeta, type FakeMeta } from "../../src/meta/fake";
import type { MetaOptions } from "../../src/onboarding/meta-client";
import { newApiKey } from "../../src/projects/provisioning";
import { BASE, createInvitation } from "../support/api";

export type View = {
  invitation: {
    id: string;
    status: string;
    connectionType: string;
    clientName: string | null;
    partnerName: string;
    expiresAt: string;
    allowedPhoneCountries: string[] | null;
    assignedPhoneNumber: string | null;
    connectedAccount: { id: string; channel: string; name: string | null; phoneNumber: string | null } | null;
    failureReason: string | null;
    testMode: boolean;
  };
};

export interface Harness {
  fake: FakeMeta;
  /** Requests to the app (its own fake of Meta for test mode, and `env` overrides). */
  call: (path: string, init?: RequestInit & { apiKey?: string }) => Promise<Response>;
  /**
   * POST a flow step. It sends the X-Attempt-Secret of the last `start` on `token` through this
   * harness (a browser's sessionStorage), unless `secret` says otherwise (null: none).
   */
  post: (
    token: string,
    step: string,
    body?: unknown,
    options?: { secret?: string | null },
  ) => Promise<Response>;
  /** The attempt secret of the last successful `start` per token (the harness's "browser"). */
  secrets: Map<string, string>;
  /** POST and expect 200: the JSON body. */
  ok: <T = View>(token: string, step: string, body?: unknown) => Promise<T>;
}

/** The app with its own fake of Meta (so its calls can be counted), optionally other vars. */
export function harness(
  options: {
    meta?: Omit<MetaOptions, "fake">;
    env?: Partial<Env>;
    now?: () => number;
    fake?: FakeMeta;
    rateLimits?: AppOptions["rateLimits"];
  } = {},
): Harness {
  const fake = options.fake ?? createFakeMeta();
  const app = createApp({
    meta: { ...options.meta, fake },
    now: options.now,
    rateLimits: options.rateLimits,
  });
  const appEnv = { ...env, ...options.env } as Env;
  const call: Harness["call"] = async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), appEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  const secrets = new Map<string, string>();
  const post: Harness["post"] = async (token, step, body, options = {}) => {
    const headers: Record<string, string> = body === undefined ? {} : { "Content-Type": "application/json" };
    const secret = options.secret === undefined ? secrets.get(token) : options.secret;
    if (secret != null) headers["X-Attempt-Secret"] = secret;
    const res = await call(`/invite/${token}/${step}`, {
      method: "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (step === "start" && res.status === 200) {
      const started = (await res.clone().json()) as { attemptSecret?: string };
      if (started.attemptSecret) secrets.set(token, started.attemptSecret);
    }
    return res;
  };
  const ok: Harness["ok"] = async (token, step, body) => {
    const res = await post(token, step, body);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${step}: expected 200, got ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  return { fake, call, post, ok, secrets };
}

let nonce = 0;
/** A fresh fake code for `scenario` (single-use, like Meta's). */
export function code(scenario = "ok"): string {
  nonce += 1;
  return `fake.${scenario}.${Date.now().toString(36)}n${nonce}`;
}

export async function newInvitation(apiKey: string, body: Record<string, unknown> = {}) {
  return createInvitation(apiKey, body);
}

export async function row(id: string): Promise<InvitationRow> {
  const [found] = await createDb(env.DB).select().from(invitations).where(eq(invitations.id, id));
  if (!found) throw new Error(`no invitation ${id}`);
  return found;
}

export async function sendersOf(projectId: string): Promise<SenderRow[]> {
  return createDb(env.DB).select().from(senders).where(eq(senders.projectId, projectId));
}

/** A test key (`zv_test_…`) for an existing project. */
export async function testKeyFor(projectId: string): Promise<string> {
  const key = await newApiKey(projectId, Date.now(), "test", "test");
  await createDb(env.DB).insert(apiKeys).values(key.row);
  return key.apiKey;
}

export async function expectStatus(res: Response, status: number, code?: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text);
  if (code !== undefined) expect(body.code, text).toBe(code);
  return body;
}
