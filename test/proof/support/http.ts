import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../../src/index";

/** Origin of every request; the Worker builds invitation URLs from it. */
export const BASE = "https://invitations.test";

/** Generated requests sent through `send` (setup traffic does not count). */
export const stats = { generated: 0 };

const encoder = new TextEncoder();

/** How a body travels: in one buffer (Content-Length known) or as a chunked stream (no length). */
export type Transport = "buffer" | "stream";

export interface ProofRequest {
  method: string;
  /** Path and query, already encoded as they go on the wire. */
  path: string;
  /** Appended in order, so a header may repeat; values as given (the runtime trims them). */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Text is sent as its UTF-8 bytes: never with an implied Content-Type. */
  body?: string | Uint8Array;
  transport?: Transport;
}

export interface Sent {
  req: ProofRequest;
  res: Response;
  /** The response body as text (empty for HEAD). */
  text: string;
  /** Milliseconds (wall clock) just before and just after the request. */
  startedAt: number;
  endedAt: number;
}

export function bodyBytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === "string" ? encoder.encode(body) : body;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  // Uneven chunks, so that a reader has to put the body together.
  const cut = Math.min(bytes.byteLength, 7);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (cut > 0) controller.enqueue(bytes.slice(0, cut));
      for (let i = cut; i < bytes.byteLength; i += 16_384) controller.enqueue(bytes.slice(i, i + 16_384));
      controller.close();
    },
  });
}

export function buildRequest(req: ProofRequest): Request {
  const headers = new Headers();
  for (const [name, value] of req.headers ?? []) headers.append(name, value);
  const init: RequestInit = { method: req.method, headers };
  if (req.body !== undefined && req.method !== "GET" && req.method !== "HEAD") {
    const bytes = bodyBytes(req.body);
    init.body = req.transport === "stream" ? streamOf(bytes) : bytes;
  }
  return new Request(`${BASE}${req.path}`, init);
}

/** One request to the Worker under test through its real `fetch` handler; counted. */
export async function send(req: ProofRequest): Promise<Sent> {
  stats.generated++;
  return dispatch(req);
}

/**
 * The same, for setup traffic: not counted as a generated request.
 *
 * Calls the entry module's `fetch` handler directly (the deployed handler, with the test env).
 * Going through `exports.default.fetch` instead measurably slows down with every call made in
 * a file (a harness effect: ~5 ms per request at first, ~20 ms after a few hundred), which
 * thousands of fuzzed requests cannot afford.
 */
export async function dispatch(req: ProofRequest): Promise<Sent> {
  const startedAt = Date.now();
  const ctx = createExecutionContext();
  const res = await worker.fetch(buildRequest(req), env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { req, res, text, startedAt, endedAt: Date.now() };
}

export interface WireInvitation {
  id: string;
  token: string;
  url: string;
  status: string;
  [key: string]: unknown;
}

/** Setup: creates an invitation (not counted), or throws. */
export async function setupInvitation(apiKey: string, body: unknown = {}): Promise<WireInvitation> {
  const sent = await dispatch({
    method: "POST",
    path: "/v1/invitations",
    headers: [bearer(apiKey), ["Content-Type", "application/json"]],
    body: JSON.stringify(body),
  });
  if (sent.res.status !== 201) throw new Error(`setup create failed: ${sent.res.status} ${sent.text}`);
  return (JSON.parse(sent.text) as { invitation: WireInvitation }).invitation;
}

export function bearer(apiKey: string): [string, string] {
  return ["Authorization", `Bearer ${apiKey}`];
}

/** A short description of a request, for failure messages. */
export function describe(req: ProofRequest): string {
  const body = req.body === undefined ? "" : bodyBytes(req.body);
  const preview =
    typeof req.body === "string"
      ? JSON.stringify(
          req.body.length > 300 ? `${req.body.slice(0, 300)}…(${req.body.length} chars)` : req.body,
        )
      : `${body.length} bytes`;
  return `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}…` : req.path} headers=${JSON.stringify(
    (req.headers ?? []).map(([n, v]) => [n, v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v]),
  )} body=${preview} transport=${req.transport ?? "buffer"}`;
}

const JSON_HEADER: [string, string] = ["Content-Type", "application/json"];

/** A create, with an Idempotency-Key if given. */
export function createRequest(apiKey: string, body: unknown, key?: string): ProofRequest {
  const headers: [string, string][] = [bearer(apiKey), JSON_HEADER];
  if (key !== undefined) headers.push(["Idempotency-Key", key]);
  return { method: "POST", path: "/v1/invitations", headers, body: JSON.stringify(body) };
}

/** A cancel, with an Idempotency-Key if given. */
export function cancelRequest(apiKey: string, id: string, key?: string): ProofRequest {
  const headers: [string, string][] = [bearer(apiKey)];
  if (key !== undefined) headers.push(["Idempotency-Key", key]);
  return { method: "POST", path: `/v1/invitations/${id}/cancel`, headers };
}

export const invitationOf = (sent: Sent) =>
  (JSON.parse(sent.text) as { invitation: WireInvitation }).invitation;
export const errorOf = (sent: Sent) =>
  JSON.parse(sent.text) as { code: string; message: string; details?: Record<string, unknown> };
