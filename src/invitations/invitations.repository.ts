import { and, desc, eq, inArray, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  type InvitationRow,
  type InvitationStatus,
  invitations,
  type KeyMode,
  phoneNumbers,
} from "../db/schema";
import type { Config } from "../lib/config";
import { encryptSecret, hmacSha256Hex, randomId, randomToken } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { CursorPosition } from "./cursor";
import type { InvitationCreateRequest } from "./invitations.schemas";
import { expireOverdue, isOpen, OPEN_STATUSES } from "./lifecycle";

const DAY_MS = 86_400_000;

function phoneNumberError(message: string) {
  return new ApiError("invalid_request", message, { details: { fields: { phoneNumberId: message } } });
}

function isOpenPhoneNumberConflict(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.message.includes("invitations.phone_number_id")) return true;
  }
  return false;
}

export async function insertInvitation(
  db: Db,
  config: Config,
  projectId: string,
  input: InvitationCreateRequest,
  now: number,
  mode: KeyMode = "live",
): Promise<InvitationRow> {
  if (input.phoneNumberId !== undefined) {
    const [number] = await db
      .select({ id: phoneNumbers.id })
      .from(phoneNumbers)
      .where(and(eq(phoneNumbers.id, input.phoneNumberId), eq(phoneNumbers.projectId, projectId)))
      .limit(1);
    if (!number) throw phoneNumberError("No phone number with this id in this project");
    // An invitation that expired by time but was not swept yet must not hold the number.
    await expireOverdue(db, now, { limit: 10, phoneNumberId: input.phoneNumberId });
  }

  // 256 bits from the CSPRNG, base64url: unguessable and safe in a URL path.
  const token = randomToken(32);
  const [tokenHash, tokenCiphertext] = await Promise.all([
    hmacSha256Hex(config.tokenHashKey, token),
    encryptSecret(config.encryptionKeys, token),
  ]);
  try {
    const [row] = await db
      .insert(invitations)
      .values({
        id: randomId("inv"),
        projectId,
        tokenHash,
        tokenCiphertext,
        clientName: input.clientName ?? null,
        clientEmail: input.clientEmail ?? null,
        clientPhone: input.clientPhone ?? null,
        phoneNumberId: input.phoneNumberId ?? null,
        connectionType: input.connectionType,
        allowedPhoneCountries: input.allowedPhoneCountries?.map((c) => c.toUpperCase()) ?? null,
        status: "pending",
        mode,
        expiresAt: now + input.expiresInDays * DAY_MS,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    // The partial unique index keeps a number on one open invitation, even under races.
    if (isOpenPhoneNumberConflict(error)) {
      throw phoneNumberError("This phone number is already held by another open invitation");
    }
    throw error;
  }
}

export async function findInvitation(
  db: Db,
  projectId: string,
  id: string,
): Promise<InvitationRow | undefined> {
  const [row] = await db
    .select()
    .from(invitations)
    .where(and(eq(invitations.id, id), eq(invitations.projectId, projectId)))
    .limit(1);
  return row;
}

/** The `status` filter as readers see it: expiry by time counts as `expired`. */
export function statusCondition(status: InvitationStatus, now: number): SQL | undefined {
  if (status === "expired") {
    return or(
      eq(invitations.status, "expired"),
      and(inArray(invitations.status, [...OPEN_STATUSES]), lte(invitations.expiresAt, now)),
    );
  }
  // Unary `+` keeps SQLite from choosing the sweep's (status, expires_at) index, which spans
  // every project and would need a sort: the page must come in (created_at, id) index order.
  if (isOpen(status)) return and(eq(invitations.status, status), sql`+${invitations.expiresAt} > ${now}`);
  return eq(invitations.status, status);
}

/**
 * One newest-first page by keyset on `(created_at, id)`: an index seek, whatever the depth.
 * Fetches one row more than asked to know whether another page exists.
 */
export function listInvitationsQuery(
  db: Db,
  options: {
    projectId: string;
    status?: InvitationStatus;
    after?: CursorPosition;
    limit: number;
    now: number;
  },
) {
  const { after } = options;
  return db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.projectId, options.projectId),
        options.status === undefined ? undefined : statusCondition(options.status, options.now),
        after === undefined
          ? undefined
          : sql`(${invitations.createdAt}, ${invitations.id}) < (${after.createdAt}, ${after.id})`,
      ),
    )
    .orderBy(desc(invitations.createdAt), desc(invitations.id))
    .limit(options.limit + 1);
}
