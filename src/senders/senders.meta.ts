import type { Context } from "hono";
import type { SenderRow } from "../db/schema";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { decryptSecret } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { GraphError } from "../meta/errors";
import type { Graph } from "../meta/graph";
import { graphFor } from "../onboarding/meta-client";

/**
 * Meta as a sender reaches it: the fake for a test-mode sender (or a Worker without Meta), the
 * Graph API otherwise, exactly as its connection did; and the sender's own token, opened only
 * for the call.
 */
export async function metaOf(c: Context<AppEnv>, row: SenderRow): Promise<{ graph: Graph; token: string }> {
  const { encryptionKeys } = readConfig(c.env, c.req.url);
  const token = await decryptSecret(
    encryptionKeys,
    row.accessTokenCiphertext,
    "senders.access_token_ciphertext",
  );
  return { graph: graphFor(c.env, row, c.get("meta"), c.get("requestId")), token };
}

/** The WhatsApp-only operations refuse a Messenger sender before anything is sent. */
export function requireWhatsapp(row: SenderRow, what = "the WhatsApp Business profile exists"): void {
  if (row.channel !== "whatsapp") {
    throw new ApiError(
      "invalid_request",
      `This sender is a Facebook Page (Messenger): ${what} only for WhatsApp senders`,
      { details: { channel: row.channel } },
    );
  }
}

/** Whether Meta's refusal means this app's access is already gone (revoked token, removed permission). */
export function accessGone(error: unknown): boolean {
  return (
    error instanceof GraphError &&
    (error.reason === "meta_token_invalid" || error.reason === "meta_permission_missing")
  );
}

/**
 * A Graph failure as this API's error: access gone is the sender's state (400 invalid_state,
 * reconnect it), a refused value is the request's (400 invalid_request), Meta's rate limit a
 * 429, and Meta unreachable a 500 that is safe to retry. Meta's code travels in details.
 */
export function apiErrorFromGraph(error: unknown): unknown {
  if (!(error instanceof GraphError)) return error;
  const details = { metaCode: error.code ?? null, metaOperation: error.operation };
  if (accessGone(error)) {
    return new ApiError(
      "invalid_state",
      "Meta no longer grants this app access to the sender (token revoked or permission removed): connect it again with a new invitation",
      { details },
    );
  }
  if (error.reason === "meta_rate_limited") {
    return new ApiError("rate_limited", "Meta's rate limit for this account was reached; retry later", {
      details,
      headers: { "Retry-After": "60" },
    });
  }
  if (error.reason === "meta_unavailable") {
    return new ApiError("internal_error", "Meta could not be reached; nothing was changed, retry later", {
      details,
    });
  }
  return new ApiError("invalid_request", error.message, { details });
}
