import { base64ToBytes, bytesToBase64Url, hmacSha256Hex, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { Tenant } from "../projects/tenant";

/**
 * List cursors are opaque: `<base64url(JSON position)>.<MAC>`. The position is the last item
 * of a page, `(createdAt, id)`; the MAC (HMAC-SHA-256 under TOKEN_HASH_KEY, bound to the
 * project and the key's mode) makes a forged, edited, other project's or other mode's cursor a
 * 400 instead of a silent jump.
 */
export interface CursorPosition {
  createdAt: number;
  id: string;
}

const MAC_LENGTH = 32; // hex characters: 128 bits

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Which list a cursor belongs to: one list's cursor is refused by another. */
export type CursorList = "invitations" | "senders" | "deliveries" | "attempts";

/** A page's size when the request names none (every list). */
export const DEFAULT_PAGE_SIZE = 50;

async function mac(key: string, tenant: Tenant, payload: string, list: CursorList): Promise<string> {
  const scope = list === "invitations" ? "cursor" : `cursor:${list}`;
  // Live cursors keep the form they had before modes were bound (those in flight stay valid);
  // a payload (base64url) has no "|", so the two forms never collide.
  const owner = tenant.mode === "live" ? tenant.projectId : `${tenant.projectId}|${tenant.mode}`;
  return (await hmacSha256Hex(key, `${scope}|${owner}|${payload}`)).slice(0, MAC_LENGTH);
}

export async function encodeCursor(
  key: string,
  tenant: Tenant,
  position: CursorPosition,
  list: CursorList,
): Promise<string> {
  const payload = bytesToBase64Url(encoder.encode(JSON.stringify([position.createdAt, position.id])));
  return `${payload}.${await mac(key, tenant, payload, list)}`;
}

/** The 400 of a cursor that is not this list's (also: another invitation's attempts). */
export function invalidCursor(): ApiError {
  return new ApiError("invalid_request", "The cursor is malformed or was not issued for this list", {
    details: { fields: { cursor: "Pass nextCursor from a previous page unchanged" } },
  });
}

export async function decodeCursor(
  key: string,
  tenant: Tenant,
  cursor: string,
  list: CursorList,
): Promise<CursorPosition> {
  const invalid = invalidCursor();
  const [payload, signature, extra] = cursor.split(".");
  if (!payload || !signature || extra !== undefined || payload.length > 200) throw invalid;
  if (!timingSafeEqual(signature, await mac(key, tenant, payload, list))) throw invalid;
  try {
    const [createdAt, id] = JSON.parse(decoder.decode(base64ToBytes(payload))) as unknown[];
    if (typeof createdAt === "number" && Number.isSafeInteger(createdAt) && typeof id === "string") {
      return { createdAt, id };
    }
  } catch {
    // fall through: a MAC-valid but unreadable payload is still the client's bad input
  }
  throw invalid;
}

/**
 * One page of a newest-first keyset list: decodes `cursor` for `list`, asks `fetch` for the
 * rows after it (`limit + 1` of them, the extra one telling whether more exist), and signs the
 * next page's cursor for the same list, project and mode.
 */
export async function paginate<Row extends CursorPosition>(
  key: string,
  tenant: Tenant,
  list: CursorList,
  { limit = DEFAULT_PAGE_SIZE, cursor }: { limit?: number; cursor?: string },
  fetch: (after: CursorPosition | undefined, limit: number) => Promise<Row[]>,
): Promise<{ page: Row[]; nextCursor: string | null }> {
  const after = cursor === undefined ? undefined : await decodeCursor(key, tenant, cursor, list);
  const rows = await fetch(after, limit);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? await encodeCursor(key, tenant, { createdAt: last.createdAt, id: last.id }, list)
      : null;
  return { page, nextCursor };
}
