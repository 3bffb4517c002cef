import type { InvitationRow } from "../db/schema";
import { ApiError } from "../lib/errors";
import { webhookSettings } from "../webhooks/settings";
import { webhookUrlProblem } from "../webhooks/url-policy";
import type { InvitationCreateRequest } from "./invitations.schemas";

/**
 * The partner's return links (`successRedirectUrl`, `failureRedirectUrl`): where the invite page
 * sends the client after a success or a failure. They follow the webhooks' URL rules (https, no
 * credentials, no private host; http and loopback only where WEBHOOK_ALLOW_LOCAL_URLS allows),
 * which depend on the environment, so they are checked here rather than by zod.
 */
export function checkRedirectUrls(env: Env, input: InvitationCreateRequest): void {
  const allowLocal = webhookSettings(env).allowLocalUrls;
  const fields: Record<string, string> = {};
  for (const field of ["successRedirectUrl", "failureRedirectUrl"] as const) {
    const url = input[field];
    const problem = url === undefined ? null : webhookUrlProblem(url, { allowLocal });
    if (problem) fields[field] = problem;
  }
  if (Object.keys(fields).length > 0) {
    throw new ApiError("invalid_request", "The request is invalid; see details.fields.", {
      details: { fields },
    });
  }
}

/**
 * Where the page sends the client back, for an invitation that has ended its attempt: the
 * success link with `invitation_id`, `status` and `sender_id`, or the failure link with
 * `invitation_id`, `status` and `failure_reason`; null otherwise. Never the token.
 */
export function returnUrl(
  row: Pick<InvitationRow, "id" | "senderId" | "failureReason" | "successRedirectUrl" | "failureRedirectUrl">,
  status: string,
): string | null {
  const target =
    status === "completed" ? row.successRedirectUrl : status === "failed" ? row.failureRedirectUrl : null;
  if (!target) return null;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return null;
  }
  url.searchParams.set("invitation_id", row.id);
  url.searchParams.set("status", status);
  if (status === "completed") url.searchParams.set("sender_id", row.senderId ?? "");
  else url.searchParams.set("failure_reason", row.failureReason ?? "");
  return url.toString();
}
