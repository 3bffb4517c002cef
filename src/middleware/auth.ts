import { eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { apiKeys } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { API_KEY_PATTERN, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";

const challenge = { "WWW-Authenticate": 'Bearer realm="zavu"' };

function unauthorized(message: string): ApiError {
  return new ApiError("unauthorized", message, { headers: challenge });
}

/** `Authorization: Bearer <project API key>`: sets `c.var.projectId`, or answers 401. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  if (!header) throw unauthorized("Missing Authorization header; send 'Authorization: Bearer <API key>'");
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  const key = match?.[1];
  if (!key) throw unauthorized("Malformed Authorization header; expected 'Bearer <API key>'");
  if (!API_KEY_PATTERN.test(key)) throw unauthorized("Invalid API key");

  const [found] = await c.var.db
    .select({ projectId: apiKeys.projectId, revokedAt: apiKeys.revokedAt, mode: apiKeys.mode })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, await sha256Hex(key)))
    .limit(1);
  if (!found) throw unauthorized("Invalid API key");
  if (found.revokedAt !== null) throw unauthorized("This API key has been revoked");
  c.set("projectId", found.projectId);
  c.set("keyMode", found.mode);
  await next();
});
