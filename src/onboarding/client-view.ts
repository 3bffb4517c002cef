import { and, eq, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  type BrandingRow,
  type InvitationRow,
  invitationBranding,
  invitations,
  phoneNumbers,
  projects,
  senders,
} from "../db/schema";
import { effectiveStatus, type FailureReason } from "../invitations/lifecycle";
import { returnUrl } from "../invitations/return-links";
import { hmacSha256Hex } from "../lib/crypto";

/** Invitation tokens are 32 random bytes, base64url: anything else is not looked up. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** An invitation found by its link token, with what the client's view needs beside it. */
export interface InvitationByToken {
  invitation: InvitationRow;
  /** The partner's branded display name, else the project's name. */
  projectName: string;
  /** The partner's branding of the page in the invitation's mode, or null. */
  branding: BrandingRow | null;
  /** E.164 of the pre-assigned `phoneNumberId`, or null. */
  assignedPhoneNumber: string | null;
  /** E.164 of the connected WhatsApp number (its sender's), or null. */
  connectedPhoneNumber: string | null;
}

export async function findByToken(
  db: Db,
  tokenHashKey: string,
  token: string,
): Promise<InvitationByToken | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return findWhere(db, eq(invitations.tokenHash, await hmacSha256Hex(tokenHashKey, token)));
}

/** The same, by the invitation's id (the OAuth dialog's callback, whose `state` names it). */
export function findById(db: Db, id: string): Promise<InvitationByToken | undefined> {
  return findWhere(db, eq(invitations.id, id));
}

async function findWhere(db: Db, where: SQL): Promise<InvitationByToken | undefined> {
  const [found] = await db
    .select({
      invitation: invitations,
      projectName: projects.name,
      assignedPhoneNumber: phoneNumbers.phoneNumber,
      connectedPhoneNumber: senders.phoneNumber,
      branding: invitationBranding,
    })
    .from(invitations)
    .innerJoin(projects, eq(projects.id, invitations.projectId))
    .leftJoin(phoneNumbers, eq(phoneNumbers.id, invitations.phoneNumberId))
    .leftJoin(senders, eq(senders.id, invitations.senderId))
    .leftJoin(
      invitationBranding,
      and(
        eq(invitationBranding.projectId, invitations.projectId),
        eq(invitationBranding.mode, invitations.mode),
      ),
    )
    .where(where)
    .limit(1);
  return found
    ? {
        ...found,
        projectName: found.branding?.displayName ?? found.projectName,
        branding: found.branding ?? null,
        assignedPhoneNumber: found.assignedPhoneNumber ?? null,
        connectedPhoneNumber: found.connectedPhoneNumber ?? null,
      }
    : undefined;
}

export interface ClientView {
  invitation: {
    id: string;
    status: InvitationRow["status"];
    connectionType: InvitationRow["connectionType"];
    clientName: string | null;
    partnerName: string;
    expiresAt: string;
    allowedPhoneCountries: string[] | null;
    assignedPhoneNumber: string | null;
    connectedAccount: {
      id: string;
      channel: "whatsapp" | "messenger";
      name: string | null;
      /** E.164 of the connected WhatsApp number; null for a Page. */
      phoneNumber: string | null;
    } | null;
    failureReason: FailureReason | null;
    testMode: boolean;
    onboardingStep: InvitationRow["onboardingStep"];
    /** Where the page sends the client back (src/invitations/return-links.ts), or null. */
    returnUrl: string | null;
  };
}

/**
 * The client's view of an invitation: what the invite page shows and every flow endpoint
 * answers. Never a token, secret or partner-only field (email, phone); the sender id only inside
 * `returnUrl`, where the partner asked for it.
 */
export function clientView(
  row: InvitationRow,
  extra: {
    projectName: string;
    assignedPhoneNumber: string | null;
    /** `findByToken`'s `connectedPhoneNumber` (omitted: null). */
    connectedPhoneNumber?: string | null;
    testMode: boolean;
  },
  now: number,
): ClientView {
  const status = effectiveStatus(row, now);
  return {
    invitation: {
      id: row.id,
      status,
      connectionType: row.connectionType,
      clientName: row.clientName,
      partnerName: extra.projectName,
      expiresAt: new Date(row.expiresAt).toISOString(),
      allowedPhoneCountries: row.allowedPhoneCountries ?? null,
      assignedPhoneNumber: extra.assignedPhoneNumber,
      connectedAccount:
        row.connectedAccountId && row.connectedAccountChannel
          ? {
              id: row.connectedAccountId,
              channel: row.connectedAccountChannel,
              name: row.connectedAccountName,
              phoneNumber:
                row.connectedAccountChannel === "whatsapp" ? (extra.connectedPhoneNumber ?? null) : null,
            }
          : null,
      // Written only through the lifecycle, which takes FailureReason values.
      failureReason: status === "failed" ? (row.failureReason as FailureReason | null) : null,
      testMode: extra.testMode,
      onboardingStep: status === "in_progress" ? row.onboardingStep : null,
      returnUrl: returnUrl(row, status),
    },
  };
}
