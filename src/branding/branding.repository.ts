import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type BrandingRow, invitationBranding } from "../db/schema";
import type { Tenant } from "../projects/tenant";

export type BrandingFields = Pick<
  BrandingRow,
  "displayName" | "accentColor" | "supportEmail" | "supportUrl" | "privacyPolicyUrl" | "termsUrl"
>;

const ofTenant = (tenant: Tenant) =>
  and(eq(invitationBranding.projectId, tenant.projectId), eq(invitationBranding.mode, tenant.mode));

export async function findBranding(db: Db, tenant: Tenant): Promise<BrandingRow | undefined> {
  const [row] = await db.select().from(invitationBranding).where(ofTenant(tenant)).limit(1);
  return row;
}

const EMPTY: BrandingFields = {
  displayName: null,
  accentColor: null,
  supportEmail: null,
  supportUrl: null,
  privacyPolicyUrl: null,
  termsUrl: null,
};

/** Replaces the text fields (the logo stays); one statement, the row as it is after it. */
export async function putBranding(db: Db, tenant: Tenant, fields: BrandingFields, now: number) {
  const [row] = await db
    .insert(invitationBranding)
    .values({ ...tenant, ...fields, logoHash: null, logoType: null, updatedAt: now })
    .onConflictDoUpdate({
      target: [invitationBranding.projectId, invitationBranding.mode],
      set: { ...fields, updatedAt: now },
    })
    .returning();
  if (!row) throw new Error("branding upsert returned no row");
  return row;
}

/** Sets (or with nulls, removes) the logo; the text fields stay. */
export async function setLogo(
  db: Db,
  tenant: Tenant,
  logo: { hash: string; type: string } | null,
  now: number,
): Promise<BrandingRow> {
  const values = { logoHash: logo?.hash ?? null, logoType: logo?.type ?? null, updatedAt: now };
  const [row] = await db
    .insert(invitationBranding)
    .values({ ...tenant, ...EMPTY, ...values })
    .onConflictDoUpdate({ target: [invitationBranding.projectId, invitationBranding.mode], set: values })
    .returning();
  if (!row) throw new Error("branding upsert returned no row");
  return row;
}

/** Whether some project's branding shows this logo: only those are served. */
export async function logoInUse(db: Db, hash: string): Promise<string | null> {
  const [row] = await db
    .select({ type: invitationBranding.logoType })
    .from(invitationBranding)
    .where(eq(invitationBranding.logoHash, hash))
    .limit(1);
  return row?.type ?? null;
}
