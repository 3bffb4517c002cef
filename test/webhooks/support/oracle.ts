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

/**
 * `t=<digits>` then `v1=`/`v2=` entries of 64 hex digits each, in the order sent; anything
 * else is malformed.
 */
export function parseSignature(header: string | undefined): { t: number; v1: string[]; v2: string[] } {
  const [first, ...entries] = (header ?? "").split(",");
  const t = /^t=(\d+)$/.exec(first ?? "");
  if (!t || entries.length === 0) throw new Error(`malformed X-Zavu-Signature: ${header}`);
  const parsed = { t: Number(t[1]), v1: [] as string[], v2: [] as string[] };
  for (const entry of entries) {
    const match = /^(v1|v2)=([0-9a-f]{64})$/.exec(entry);
    if (!match) throw new Error(`malformed X-Zavu-Signature entry ${entry}: ${header}`);
    parsed[match[1] as "v1" | "v2"].push(match[2] ?? "");
  }
  return parsed;
}

/**
 * The header as the contract words it, computed here: `t`, then (for `v1+v2`) one `v1` per
 * secret, then one `v2` per secret, each in the order given (current first).
 */
export async function expectedSignatureHeader(
  secrets: string[],
  body: string,
  t: number,
  version: "v2" | "v1+v2",
): Promise<string> {
  const v1 = version === "v1+v2" ? await Promise.all(secrets.map((s) => hmacSha256Hex(s, body))) : [];
  const v2 = await Promise.all(secrets.map((s) => hmacSha256Hex(s, `${t}.${body}`)));
  return [`t=${t}`, ...v1.map((m) => `v1=${m}`), ...v2.map((m) => `v2=${m}`)].join(",");
}

/**
 * Whether `secret` signed the request: one of its `v2` entries is HMAC(secret, "<t>.<body>"),
 * and, when it has `v1` entries, one of those is HMAC(secret, body).
 */
export async function signedWith(request: RecordedRequest, secret: string): Promise<boolean> {
  const { t, v1, v2 } = parseSignature(request.headers["x-zavu-signature"]);
  const [expected1, expected2] = await Promise.all([
    hmacSha256Hex(secret, request.body),
    hmacSha256Hex(secret, `${t}.${request.body}`),
  ]);
  return v2.includes(expected2) && (v1.length === 0 || v1.includes(expected1));
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
