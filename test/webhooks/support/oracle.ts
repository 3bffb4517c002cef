import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../../src/index";
import type { RecordedRequest } from "./receiver-server";

// The test's own HMAC, written from the contract's words rather than imported from src/, so a
// mistake in the service's signing cannot hide behind the same mistake here.

const encoder = new TextEncoder();

export async function hmacSha256Hex(key: string, message: string): Promise<string> {
  const imported = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", imported, encoder.encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function parseSignature(header: string | undefined): { t: number; v1: string; v2: string } {
  const match = /^t=(\d+),v1=([0-9a-f]{64}),v2=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) throw new Error(`malformed X-Zavu-Signature: ${header}`);
  return { t: Number(match[1]), v1: match[2] ?? "", v2: match[3] ?? "" };
}

/** Whether the request's signature is right for `secret` (both v1 and v2). */
export async function signedWith(request: RecordedRequest, secret: string): Promise<boolean> {
  const { t, v1, v2 } = parseSignature(request.headers["x-zavu-signature"]);
  const [expected1, expected2] = await Promise.all([
    hmacSha256Hex(secret, request.body),
    hmacSha256Hex(secret, `${t}.${request.body}`),
  ]);
  return v1 === expected1 && v2 === expected2;
}

/** Runs the Worker's Cron Trigger as if fired at `time`. */
export async function runCron(time: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ scheduledTime: new Date(time), cron: "*/5 * * * *" }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
}
