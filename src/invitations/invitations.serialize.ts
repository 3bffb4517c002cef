import { getTableColumns } from "drizzle-orm";
import { type InvitationRow, invitations } from "../db/schema";
import { decryptSecret } from "../lib/crypto";
import type { Invitation } from "./invitations.schemas";
import { effectiveStatus, effectiveUpdatedAt } from "./lifecycle";

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export interface SerializeOptions {
  encryptionKeys: string;
  /** Where links point: the token is appended. */
  inviteBaseUrl: string;
  now: number;
}

/** Columns the service keeps for itself: a partner's `Invitation` is made of the others. */
type Internal = "projectId" | "tokenHash" | "allowedPhoneCountries" | "mode" | "cancelledAt";
/** What `Invitation` is made from: get and list read only these columns. */
export type InvitationView = Omit<InvitationRow, Internal>;

const { projectId, tokenHash, allowedPhoneCountries, mode, cancelledAt, ...viewColumns } =
  getTableColumns(invitations);
/** The columns of `InvitationView`, for a `db.select(…)`. */
export const INVITATION_VIEW_COLUMNS = viewColumns satisfies Record<keyof InvitationView, unknown>;

/** A row as the contract's `Invitation`: every field present, nullable ones as `null`. */
export async function serializeInvitation(
  row: InvitationView,
  options: SerializeOptions,
): Promise<Invitation> {
  return serializeWithToken(
    row,
    await decryptSecret(options.encryptionKeys, row.tokenCiphertext, "invitations.token_ciphertext"),
    options,
  );
}

/** `serializeInvitation` for a row whose token is at hand (a new invitation): no decryption. */
export function serializeWithToken(
  row: InvitationView,
  token: string,
  options: SerializeOptions,
): Invitation {
  return {
    id: row.id,
    url: `${options.inviteBaseUrl}${token}`,
    token,
    clientName: row.clientName,
    clientEmail: row.clientEmail,
    clientPhone: row.clientPhone,
    phoneNumberId: row.phoneNumberId,
    connectionType: row.connectionType,
    status: effectiveStatus(row, options.now),
    senderId: row.senderId,
    connectedAccount:
      row.connectedAccountId && row.connectedAccountChannel
        ? {
            id: row.connectedAccountId,
            channel: row.connectedAccountChannel,
            name: row.connectedAccountName,
          }
        : null,
    failureReason: row.failureReason,
    // Additive: the number step of a running WhatsApp attempt (null once it left in_progress).
    onboardingStep: effectiveStatus(row, options.now) === "in_progress" ? row.onboardingStep : null,
    expiresAt: iso(row.expiresAt),
    viewedAt: isoOrNull(row.viewedAt),
    startedAt: isoOrNull(row.startedAt),
    completedAt: isoOrNull(row.completedAt),
    failedAt: isoOrNull(row.failedAt),
    phoneNumberType: row.phoneNumberType ?? null,
    language: row.language ?? null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(effectiveUpdatedAt(row, options.now)),
    successRedirectUrl: row.successRedirectUrl,
    failureRedirectUrl: row.failureRedirectUrl,
    metadata: row.metadata ?? {},
  };
}
