import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// All timestamps are Unix milliseconds (UTC) in INTEGER columns: they sort, compare and index
// cheaply, and the API turns them into ISO 8601 at the edge.

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    // SHA-256 (hex) of the whole key. The key itself is shown once and never stored.
    keyHash: text("key_hash").notNull(),
    // The first characters of the key, so an operator can tell keys apart without the secret.
    keyPrefix: text("key_prefix").notNull(),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_unique").on(t.keyHash),
    index("api_keys_project_idx").on(t.projectId),
  ],
);

/** A project's own Zavu phone numbers, which `phoneNumberId` of an invitation refers to. */
export const phoneNumbers = sqliteTable(
  "phone_numbers",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    phoneNumber: text("phone_number").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("phone_numbers_project_number_unique").on(t.projectId, t.phoneNumber)],
);

export const INVITATION_STATUSES = [
  "pending",
  "in_progress",
  "completed",
  "expired",
  "cancelled",
  "failed",
] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];
/** Statuses in which an invitation can still change (src/invitations/lifecycle.ts). */
export const OPEN_STATUSES = [
  "pending",
  "in_progress",
  "failed",
] as const satisfies readonly InvitationStatus[];
/** `'pending', 'in_progress', 'failed'`, for the partial index below (SQL text, not parameters). */
const OPEN_STATUSES_SQL = sql.raw(OPEN_STATUSES.map((status) => `'${status}'`).join(", "));

export const CONNECTION_TYPES = ["whatsapp_waba", "messenger"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    // HMAC-SHA-256 of the token under TOKEN_HASH_KEY: how the invite page finds the row.
    tokenHash: text("token_hash").notNull(),
    // AES-GCM ciphertext of the token under ENCRYPTION_KEYS: the API returns the token.
    tokenCiphertext: text("token_ciphertext").notNull(),
    clientName: text("client_name"),
    clientEmail: text("client_email"),
    clientPhone: text("client_phone"),
    phoneNumberId: text("phone_number_id").references(() => phoneNumbers.id),
    connectionType: text("connection_type", { enum: CONNECTION_TYPES }).notNull(),
    // JSON array of upper-case ISO 3166-1 alpha-2 codes, or NULL for "any country".
    allowedPhoneCountries: text("allowed_phone_countries", { mode: "json" }).$type<string[]>(),
    status: text("status", { enum: INVITATION_STATUSES }).notNull(),
    senderId: text("sender_id"),
    connectedAccountId: text("connected_account_id"),
    connectedAccountChannel: text("connected_account_channel", {
      enum: ["whatsapp", "messenger"],
    }),
    connectedAccountName: text("connected_account_name"),
    failureReason: text("failure_reason"),
    expiresAt: integer("expires_at").notNull(),
    viewedAt: integer("viewed_at"),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    failedAt: integer("failed_at"),
    cancelledAt: integer("cancelled_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("invitations_token_hash_unique").on(t.tokenHash),
    // Newest-first keyset pages of one project, with and without a status filter.
    index("invitations_project_created_idx").on(t.projectId, t.createdAt, t.id),
    index("invitations_project_status_created_idx").on(t.projectId, t.status, t.createdAt, t.id),
    // The expiry sweep: open invitations whose expiresAt has passed.
    index("invitations_status_expires_idx").on(t.status, t.expiresAt),
    // A phone number is held by at most one open invitation; the database enforces it, so
    // two racing creates cannot both take it.
    uniqueIndex("invitations_open_phone_number_unique")
      .on(t.phoneNumberId)
      .where(sql`phone_number_id IS NOT NULL AND status IN (${OPEN_STATUSES_SQL})`),
  ],
);

/**
 * One row per status change, written by a database trigger in the same statement as the
 * change itself (see drizzle/0001_invitation_events_trigger.sql), so no change goes
 * unrecorded and none is recorded twice. It is also the outbox of webhook deliveries.
 */
export const invitationEvents = sqliteTable(
  "invitation_events",
  {
    id: text("id").primaryKey(),
    invitationId: text("invitation_id")
      .notNull()
      .references(() => invitations.id),
    projectId: text("project_id").notNull(),
    previousStatus: text("previous_status", { enum: INVITATION_STATUSES }).notNull(),
    currentStatus: text("current_status", { enum: INVITATION_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("invitation_events_invitation_idx").on(t.invitationId, t.createdAt)],
);

export type ProjectRow = typeof projects.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

/**
 * Responses remembered for `Idempotency-Key` (src/middleware/idempotency.ts): one row per
 * project and key, claimed before the request runs so that concurrent retries cannot both act.
 * The response body holds an invitation token, so it is stored encrypted.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    projectId: text("project_id").notNull(),
    key: text("key").notNull(),
    // SHA-256 of method, path and body: the same key with another request is refused.
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["in_progress", "completed"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBodyCiphertext: text("response_body_ciphertext"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.key] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);
