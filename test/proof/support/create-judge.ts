import { expect } from "vitest";
import {
  type CreateExpectation,
  checkCreated,
  checkInvalid,
  expectCreate,
  MAX_BODY_BYTES,
} from "./create-oracle";
import { invitationCount } from "./db";
import { bodyBytes, type ProofRequest, type Sent, send } from "./http";
import { type Checked, checkResponse, expectErrorBody, InvariantError } from "./invariants";
import type { ApiDocument } from "./openapi";

/**
 * What a whole `POST /v1/invitations` request must get, from its body bytes and Content-Type:
 * the body cap first, then the media type, then JSON, then the create model.
 */

/** Unambiguously JSON media types (any case, optional parameters such as charset=utf-8). */
export const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  "APPLICATION/JSON",
  "Application/Json; Charset=utf-8",
  "application/vnd.api+json",
  "application/merge-patch+json",
  "application/problem+json; x=y",
];
/** Unambiguously not JSON. */
export const NOT_JSON_TYPES = [
  "text/plain",
  "text/plain;charset=UTF-8",
  "multipart/form-data; boundary=----x",
  "multipart/form-data",
  "application/x-www-form-urlencoded",
  "application/xml",
  "application/octet-stream",
  "image/png",
  "application/jsonx",
  "application/json-seq",
  "text/html",
];
/** Types a server may reasonably read as JSON or refuse (415): both are accepted. */
export const AMBIGUOUS_TYPES = [
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "text/json",
  "application/json;",
  "application/json; charset",
  "application/json, text/plain",
  "",
  "*/*",
  "application/*",
  "json",
  "application/x_y+json",
];

export type Judgement =
  | CreateExpectation
  | { kind: "error"; status: number; code: string }
  | { kind: "any"; options: Judgement[] };

const TOO_LARGE: Judgement = { kind: "error", status: 413, code: "payload_too_large" };
const UNSUPPORTED: Judgement = { kind: "error", status: 415, code: "unsupported_media_type" };
const MALFORMED: Judgement = { kind: "error", status: 400, code: "invalid_request" };

export function contentTypeOf(req: ProofRequest): string | undefined {
  const found = (req.headers ?? []).filter(([n]) => n.toLowerCase() === "content-type").map(([, v]) => v);
  return found.length === 0 ? undefined : found.join(", ");
}

/** The body as the server reads it: UTF-8, a leading BOM dropped, bad sequences replaced. */
export function serverText(req: ProofRequest): string {
  return new TextDecoder().decode(bodyBytes(req.body));
}

export function judgeCreate(req: ProofRequest, validPhoneIds: ReadonlySet<string>): Judgement {
  if (bodyBytes(req.body).byteLength > MAX_BODY_BYTES) return TOO_LARGE;
  const text = serverText(req);
  const asJson = (): Judgement => {
    if (/^[ \t\r\n]*$/.test(text)) return expectCreate({}, validPhoneIds); // no body: defaults
    let view: unknown;
    try {
      view = JSON.parse(text);
    } catch {
      // Whitespace JSON does not know (NBSP, U+2028…) is a body, and not JSON.
      return MALFORMED;
    }
    return expectCreate(view, validPhoneIds);
  };
  const type = contentTypeOf(req)?.trim();
  // No content type: only JSON's own whitespace counts as "no body"; anything else is a body
  // of unknown type.
  if (type === undefined) return /^[ \t\r\n]*$/.test(text) ? asJson() : UNSUPPORTED;
  if (JSON_TYPES.includes(type)) return asJson();
  if (NOT_JSON_TYPES.includes(type)) return UNSUPPORTED;
  if (AMBIGUOUS_TYPES.includes(type)) return { kind: "any", options: [UNSUPPORTED, asJson()] };
  throw new Error(`judgeCreate: unclassified content type ${JSON.stringify(type)}`);
}

async function verify(sent: Sent, checked: Checked, judgement: Judgement, projectId: string): Promise<void> {
  switch (judgement.kind) {
    case "error":
      expectErrorBody(sent, checked, judgement.status, judgement.code);
      return;
    case "invalid":
      checkInvalid(sent, checked, judgement);
      return;
    case "created":
      await checkCreated(sent, checked, projectId, judgement.input);
      return;
    case "any": {
      const failures: string[] = [];
      for (const option of judgement.options) {
        try {
          await verify(sent, checked, option, projectId);
          return;
        } catch (error) {
          if (!(error instanceof InvariantError)) throw error;
          failures.push(error.message.split("\n")[0] ?? "");
        }
      }
      throw new InvariantError(
        `none of the acceptable outcomes: ${failures.join(" | ")}\n${describeSent(sent)}`,
      );
    }
  }
}

function describeSent(sent: Sent): string {
  return `  response: ${sent.res.status} ${sent.text.slice(0, 300)}`;
}

/**
 * Sends one create, checks the universal invariants and the judgement, and that the project's
 * invitation count grew by one exactly on a 201 and not at all otherwise.
 */
export async function runCreate(
  api: ApiDocument,
  projectId: string,
  req: ProofRequest,
  validPhoneIds: ReadonlySet<string>,
): Promise<{ sent: Sent; checked: Checked }> {
  const judgement = judgeCreate(req, validPhoneIds);
  const before = await invitationCount(projectId);
  const sent = await send(req);
  const checked = checkResponse(api, sent);
  await verify(sent, checked, judgement, projectId);
  const after = await invitationCount(projectId);
  expect(after, `invitation count after ${checked.status}`).toBe(before + (checked.status === 201 ? 1 : 0));
  return { sent, checked };
}
