import { env, exports } from "cloudflare:workers";
import { createDb } from "../../src/db/client";
import { apiKeys, phoneNumbers, projects } from "../../src/db/schema";
import { newApiKey, newPhoneNumber, newProject } from "../../src/projects/provisioning";

export const BASE = "https://invitations.test";

export interface TestProject {
  projectId: string;
  apiKey: string;
  keyId: string;
}

/** A fresh project with one active API key: every test makes its own. */
export async function createProject(name = "Test partner"): Promise<TestProject> {
  const db = createDb(env.DB);
  const now = Date.now();
  const project = newProject(name, now);
  const key = await newApiKey(project.id, now);
  await db.batch([db.insert(projects).values(project), db.insert(apiKeys).values(key.row)]);
  return { projectId: project.id, apiKey: key.apiKey, keyId: key.row.id };
}

export async function addPhoneNumber(projectId: string, number = randomE164()): Promise<string> {
  const row = newPhoneNumber(projectId, number, Date.now());
  await createDb(env.DB).insert(phoneNumbers).values(row);
  return row.id;
}

export function randomE164(): string {
  return `+1${Math.floor(2_000_000_000 + Math.random() * 7_999_999_999)}`;
}

/** A request to the Worker under test, through its real `fetch` handler. */
export function call(path: string, init: RequestInit & { apiKey?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.apiKey) headers.set("Authorization", `Bearer ${init.apiKey}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

export function postJson(path: string, apiKey: string, body: unknown): Promise<Response> {
  return call(path, {
    method: "POST",
    apiKey,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function createInvitation(apiKey: string, body: unknown = {}) {
  const res = await postJson("/v1/invitations", apiKey, body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { invitation: Record<string, unknown> & { id: string; token: string } })
    .invitation;
}

/** Asserts the contract's `Error` shape and returns the body. */
export async function expectError(res: Response, status: number, code: string) {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status} ${code}, got ${res.status}: ${text}`);
  const body = JSON.parse(text) as { code: string; message: string; details?: Record<string, unknown> };
  if (body.code !== code) throw new Error(`expected code ${code}, got ${text}`);
  if (typeof body.message !== "string" || body.message.length === 0) throw new Error(`no message: ${text}`);
  const keys = Object.keys(body).filter((k) => !["code", "message", "details"].includes(k));
  if (keys.length > 0) throw new Error(`unexpected keys in Error: ${keys.join(",")}`);
  if (res.headers.get("content-type")?.startsWith("application/json") !== true) {
    throw new Error(`error is not JSON: ${res.headers.get("content-type")}`);
  }
  return body;
}
