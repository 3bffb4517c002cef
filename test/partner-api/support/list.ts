import { call } from "../../support/api";
import type { Caller, WireInvitation, WireList } from "./clock";

/** GET one list page (`query` without the leading "?"); throws unless 200. */
export async function listPage(apiKey: string, query = "", caller: Caller = call): Promise<WireList> {
  const res = await caller(`/v1/invitations${query ? `?${query}` : ""}`, { apiKey });
  if (res.status !== 200) throw new Error(`list failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as WireList;
}

/** Every page of a list, following nextCursor until null. */
export async function listAll(
  apiKey: string,
  params: Record<string, string> = {},
  caller: Caller = call,
): Promise<{ items: WireInvitation[]; pages: number }> {
  const items: WireInvitation[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query = new URLSearchParams(params);
    if (cursor !== null) query.set("cursor", cursor);
    const page = await listPage(apiKey, query.toString(), caller);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    if (pages > 10_000) throw new Error("list does not end");
  } while (cursor !== null);
  return { items, pages };
}

/** Index of the first pair of neighbours not in strict (createdAt desc, id desc) order, or -1. */
export function firstOrderViolation(items: readonly Pick<WireInvitation, "id" | "createdAt">[]): number {
  for (let i = 1; i < items.length; i++) {
    const prev = items[i - 1] as Pick<WireInvitation, "id" | "createdAt">;
    const cur = items[i] as Pick<WireInvitation, "id" | "createdAt">;
    const a = Date.parse(prev.createdAt);
    const b = Date.parse(cur.createdAt);
    if (!(a > b || (a === b && prev.id > cur.id))) return i;
  }
  return -1;
}
