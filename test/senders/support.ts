import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { expect } from "vitest";
import { createDb } from "../../src/db/client";
import { type SenderRow, senders } from "../../src/db/schema";
import { createFakeMeta, type FakeMeta } from "../../src/meta/fake";
import { BASE, createInvitation } from "../support/api";
import { appWith, type Caller } from "../support/app";

let nonce = 0;

/**
 * A client in test mode connecting the invitation's account through the Worker's own endpoints
 * (or those of `options.app`, an app with its own fake of Meta).
 */
export async function connect(
  apiKey: string,
  options: { number?: string; messenger?: boolean; app?: Caller; scenario?: string } = {},
): Promise<{ invitationId: string }> {
  const inv = await createInvitation(apiKey, options.messenger ? { connectionType: "messenger" } : {});
  // The attempt's secret from start, sent on the later steps as the page does.
  let secret = "";
  const post = async (step: string, body: unknown) => {
    const init = {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Attempt-Secret": secret },
      body: JSON.stringify(body),
    };
    const res = options.app
      ? await options.app(`/invite/${inv.token}/${step}`, init)
      : await exports.default.fetch(new Request(`${BASE}/invite/${inv.token}/${step}`, init));
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${step}: ${res.status} ${text}`);
    const json = JSON.parse(text) as {
      invitation: { status: string };
      pages?: { id: string }[];
      attemptSecret?: string;
    };
    if (json.attemptSecret) secret = json.attemptSecret;
    return json;
  };
  nonce += 1;
  const scenario = options.scenario ?? (options.number ? `number_${options.number.replace("+", "")}` : "ok");
  const code = `fake.${scenario}.s${Date.now().toString(36)}${nonce}`;
  await post("start", {});
  let done: { invitation: { status: string } };
  if (options.messenger) {
    const { pages } = await post("pages", { code });
    done = await post("complete", { pageId: pages?.[0]?.id });
  } else {
    done = await post("complete", { code, event: "FINISH" });
  }
  if (done.invitation.status !== "completed") throw new Error(`not completed: ${JSON.stringify(done)}`);
  return { invitationId: inv.id };
}

export type Sender = Record<string, unknown> & { id: string; name: string; isDefault: boolean };

/** An app with its own fake of Meta, so that what reaches Meta can be counted. */
export function withFake(fake: FakeMeta = createFakeMeta(), bindings?: Env) {
  const app = appWith({ meta: { fake } }, bindings);
  return { fake, app };
}

/** The project's senders of `mode`, oldest first. */
export async function rowsOf(projectId: string, mode: "live" | "test" = "live"): Promise<SenderRow[]> {
  return createDb(env.DB)
    .select()
    .from(senders)
    .where(and(eq(senders.projectId, projectId), eq(senders.mode, mode)))
    .orderBy(senders.createdAt, senders.id);
}

/** Connects an account through `app` and returns the new sender's row. */
export async function connected(
  app: Caller,
  apiKey: string,
  projectId: string,
  options: { number?: string; messenger?: boolean; scenario?: string } = {},
): Promise<SenderRow> {
  const before = new Set((await rowsOf(projectId)).map((r) => r.id));
  await connect(apiKey, { ...options, app });
  const row = (await rowsOf(projectId)).find((r) => !before.has(r.id));
  if (!row) throw new Error("no new sender");
  return row;
}

export function sendJson(app: Caller, method: string, path: string, apiKey: string, body: unknown) {
  return app(path, {
    method,
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export function patch(app: Caller, apiKey: string, id: string, body: unknown) {
  return sendJson(app, "PATCH", `/v1/senders/${id}`, apiKey, body);
}

export async function getSender(app: Caller, apiKey: string, id: string): Promise<Sender> {
  const res = await app(`/v1/senders/${id}`, { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as Sender;
}

export const defaults = (rows: SenderRow[]) => rows.filter((r) => r.isDefault).map((r) => r.id);
