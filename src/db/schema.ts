import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { DEVICE_CLASSES } from "../lib/user-agent";

// All timestamps are Unix milliseconds (UTC) in INTEGER columns: they sort, compare and index
// cheaply, and the API turns them into ISO 8601 at the edge.

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const KEY_MODES = ["live", "test"] as const;
export type KeyMode = (typeof KEY_MODES)[number];

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
    // "test" keys (`zv_test_…`) create test-mode invitations: a built-in fake of Meta, never
    // the real one (src/meta/config.ts).
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
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
/** A WhatsApp attempt whose number is not verified yet, or that has none (Embedded Signup v4). */
export const ONBOARDING_STEPS = ["adding_number", "verifying_number"] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** `cloud_api`: a new Cloud API number only; `business_app`: one already on the WhatsApp Business app (coexistence); `any`: the client chooses. */
export const PHONE_NUMBER_TYPES = ["cloud_api", "business_app", "any"] as const;
export type PhoneNumberType = (typeof PHONE_NUMBER_TYPES)[number];
export const PAGE_LANGUAGES = ["en", "es", "pt"] as const;

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
    // The mode of the key that created it; test mode also applies to every invitation when
    // META_APP_ID is empty (isTestMode in src/meta/config.ts).
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
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
    // While `in_progress`: the client's step after Meta's window when the number still needs
    // work on the invite page (null otherwise; shown only while in_progress).
    onboardingStep: text("onboarding_step", { enum: ONBOARDING_STEPS }),
    // Where the page sends the client back after a success or a failure (https; drizzle/0011).
    successRedirectUrl: text("success_redirect_url"),
    failureRedirectUrl: text("failure_redirect_url"),
    // Which WhatsApp numbers the client may connect (PHONE_NUMBER_TYPES); NULL: as before, Meta's
    // standard signup and whatever it finishes with.
    phoneNumberType: text("phone_number_type", { enum: PHONE_NUMBER_TYPES }),
    // The invite page's language chosen by the partner (PAGE_LANGUAGES); NULL: Accept-Language.
    language: text("language", { enum: PAGE_LANGUAGES }),
    // The partner's own key-value pairs (docs/api.md, "Metadata"), or NULL; a trigger indexes
    // them in invitation_metadata (drizzle/0010).
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>(),
  },
  (t) => [
    uniqueIndex("invitations_token_hash_unique").on(t.tokenHash),
    // Newest-first keyset pages of one project's mode, with and without a status filter.
    index("invitations_project_mode_created_idx").on(t.projectId, t.mode, t.createdAt, t.id),
    index("invitations_project_mode_status_created_idx").on(t.projectId, t.mode, t.status, t.createdAt, t.id),
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
 * Where an event stands in the webhook outbox: `pending` (to be queued), `queued` (handed to
 * the queue), `delivered`, `failed` (dead-lettered), `skipped` (the webhook was paused or
 * deleted before delivery).
 */
export const DELIVERY_STATES = ["pending", "queued", "delivered", "failed", "skipped"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

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
    // The invitation's mode, copied by the trigger: it picks the webhook of the same mode.
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    previousStatus: text("previous_status", { enum: INVITATION_STATUSES }).notNull(),
    currentStatus: text("current_status", { enum: INVITATION_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    // What the webhook event reports, as it was at the change: a later retry clears the
    // invitation's failure reason, so reading the invitation at delivery time would be wrong.
    // Nullable only because rows written before the outbox (migration 0004) lack them.
    clientName: text("client_name"),
    clientEmail: text("client_email"),
    connectionType: text("connection_type", { enum: CONNECTION_TYPES }),
    senderId: text("sender_id"),
    connectedAccountId: text("connected_account_id"),
    connectedAccountChannel: text("connected_account_channel", { enum: ["whatsapp", "messenger"] }),
    connectedAccountName: text("connected_account_name"),
    failureReason: text("failure_reason"),
    // The outbox (src/webhooks/outbox.ts). NULL: the project had no active webhook at the change.
    deliveryState: text("delivery_state", { enum: DELIVERY_STATES }),
    deliveryAttempts: integer("delivery_attempts").notNull().default(0),
    // While `queued`: when the queue is presumed to have lost the event, so the cron re-sends it.
    leaseUntil: integer("lease_until"),
    // The invitation's metadata (JSON text, as stored on it), copied by the trigger.
    metadata: text("metadata"),
  },
  (t) => [
    index("invitation_events_invitation_idx").on(t.invitationId, t.createdAt),
    // The dispatcher's work list: small, since rows leave it once delivered or failed.
    index("invitation_events_outbox_idx")
      .on(t.deliveryState, t.leaseUntil)
      .where(sql`delivery_state IN ('pending', 'queued')`),
  ],
);

export const WEBHOOK_EVENT_TYPES = ["invitation.status_changed", "sender.status_changed"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * How deliveries are signed: `v2` (timestamp and body) alone, or `v1+v2` for receivers that still
 * read `v1` (body only, replayable). `v1` alone is not offered.
 */
export const SIGNATURE_VERSIONS = ["v2", "v1+v2"] as const;
export type SignatureVersion = (typeof SIGNATURE_VERSIONS)[number];

/** A project's webhook endpoint: one per mode, each with its own URL and secret (src/webhooks/). */
export const webhooks = sqliteTable(
  "webhooks",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<WebhookEventType[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    // AES-GCM ciphertext (ENCRYPTION_KEYS) of the `whsec_…` signing secret.
    secretCiphertext: text("secret_ciphertext").notNull(),
    // After a rotation, the secret it replaced, which still signs deliveries until it expires.
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    signatureVersion: text("signature_version", { enum: SIGNATURE_VERSIONS }).notNull().default("v2"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.mode] })],
);

export const DELIVERY_OUTCOMES = ["delivered", "retrying", "failed"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** One row per attempt to POST an event to a webhook, for the partner's deliveries list. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
    // An invitation event's or a sender event's id (sender_events): no foreign key.
    eventId: text("event_id").notNull(),
    // For a sender event: the invitation that connected the sender.
    invitationId: text("invitation_id").notNull(),
    // 1 for the first attempt of an event; resends continue the count.
    attempt: integer("attempt").notNull(),
    outcome: text("outcome", { enum: DELIVERY_OUTCOMES }).notNull(),
    // NULL when no response came (timeout, connection error, refused URL).
    responseStatus: integer("response_status"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    // The first characters of the response body, to debug a receiver.
    responseExcerpt: text("response_excerpt"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_project_mode_created_idx").on(t.projectId, t.mode, t.createdAt, t.id),
    // The retention purge (oldest first).
    index("webhook_deliveries_created_idx").on(t.createdAt),
  ],
);

export type ProjectRow = typeof projects.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type InvitationEventRow = typeof invitationEvents.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/**
 * Responses remembered for `Idempotency-Key` (src/middleware/idempotency.ts): one row per
 * project, mode and key, claimed before the request runs so that concurrent retries cannot both act.
 * The response body holds an invitation token, so it is stored encrypted.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull().default("live"),
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
    primaryKey({ columns: [t.projectId, t.mode, t.key] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);

export const SENDER_CHANNELS = ["whatsapp", "messenger"] as const;
export const SENDER_STATUSES = [
  "active",
  "pending_verification",
  "pending_registration",
  "restricted",
  "reauthorization_required",
  "disconnected",
  "error",
] as const;
export type SenderStatus = (typeof SENDER_STATUSES)[number];
export const CONTACTS_SYNC_STATUSES = ["not_requested", "pending", "syncing", "completed"] as const;
export const HISTORY_SYNC_STATUSES = [
  "not_requested",
  "pending",
  "syncing",
  "completed",
  "rejected",
] as const;
export type SenderChannel = (typeof SENDER_CHANNELS)[number];

/**
 * A connected WhatsApp number or Facebook Page of a project, made by a completed invitation.
 * One row per (project, mode, channel, provider account): connecting the same number or Page
 * again reuses it (the unique index makes that hold under races too), and a test-mode
 * connection never touches a live sender.
 */
export const senders = sqliteTable(
  "senders",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    channel: text("channel", { enum: SENDER_CHANNELS }).notNull(),
    // WhatsApp phone-number id, or Facebook Page id.
    providerAccountId: text("provider_account_id").notNull(),
    wabaId: text("waba_id"),
    businessId: text("business_id"),
    // E.164 and Meta's display form of the WhatsApp number; null for a Page.
    phoneNumber: text("phone_number"),
    displayPhoneNumber: text("display_phone_number"),
    // Verified name of the number, or the Page's name.
    name: text("name"),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    invitationId: text("invitation_id").notNull(),
    // Sealed with src/lib/crypto.ts: the business token (WhatsApp) or the Page token.
    accessTokenCiphertext: text("access_token_ciphertext").notNull(),
    // When the number was registered for Cloud API; null for a Page or a coexistence number.
    registeredAt: integer("registered_at"),
    // The partner's name for the sender (PATCH /v1/senders/{id}); a reconnect keeps it.
    customName: text("custom_name"),
    // The project's default sender of this mode: exactly one while the project has senders.
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    // What Meta last told (its webhooks, a revoked token): docs/senders.md. A change of status
    // writes one sender_events row (trigger, drizzle/0009).
    status: text("status", { enum: SENDER_STATUSES }).notNull().default("active"),
    statusReason: text("status_reason"),
    statusChangedAt: integer("status_changed_at"),
    qualityRating: text("quality_rating"),
    messagingLimitTier: text("messaging_limit_tier"),
    nameStatus: text("name_status"),
    // The last completed invitation that connected it: the start of Meta's coexistence sync window.
    connectedAt: integer("connected_at"),
    contactsSyncStatus: text("contacts_sync_status", { enum: CONTACTS_SYNC_STATUSES })
      .notNull()
      .default("not_requested"),
    contactsSyncRequestedAt: integer("contacts_sync_requested_at"),
    historySyncStatus: text("history_sync_status", { enum: HISTORY_SYNC_STATUSES })
      .notNull()
      .default("not_requested"),
    historySyncRequestedAt: integer("history_sync_requested_at"),
    historySyncCompletedAt: integer("history_sync_completed_at"),
    // Set by a delete in progress, so that concurrent deletes of one WABA's senders see each other.
    deletingSince: integer("deleting_since"),
    // Whether the WABA had a funding source (`primary_funding_id`) at the last connection; null
    // for a Page, and for senders connected before it was read (drizzle/0014).
    wabaFunded: integer("waba_funded", { mode: "boolean" }),
  },
  (t) => [
    index("senders_waba_idx").on(t.wabaId),
    index("senders_provider_account_idx").on(t.providerAccountId),
    uniqueIndex("senders_project_mode_default_unique").on(t.projectId, t.mode).where(sql`is_default = 1`),
    uniqueIndex("senders_project_mode_account_unique").on(
      t.projectId,
      t.mode,
      t.channel,
      t.providerAccountId,
    ),
    index("senders_project_mode_created_idx").on(t.projectId, t.mode, t.createdAt, t.id),
  ],
);

export type SenderRow = typeof senders.$inferSelect;

/**
 * One connection attempt of an invitation, keyed by the attempt's `startedAt` (each `start`
 * begins a new one, a millisecond after the last at least: src/invitations/lifecycle.ts). Claimed by conditional writes, so that of concurrent calls exactly one
 * exchanges the code (Meta's codes are single-use) and the others wait for its outcome.
 */
export const ATTEMPT_LAUNCHES = ["popup", "redirect"] as const;
export type AttemptLaunch = (typeof ATTEMPT_LAUNCHES)[number];

export const onboardingAttempts = sqliteTable(
  "onboarding_attempts",
  {
    invitationId: text("invitation_id")
      .notNull()
      .references(() => invitations.id),
    startedAt: integer("started_at").notNull(),
    // Set by the one call that exchanges the code (`pages` for Messenger, `complete` for WhatsApp).
    exchangeClaimedAt: integer("exchange_claimed_at"),
    // Set by the one call that connects the account (`complete`).
    completeClaimedAt: integer("complete_claimed_at"),
    // SHA-256 (hex) of the secret `start` gave the browser: later calls of the attempt must
    // present it (X-Attempt-Secret).
    attemptSecretHash: text("attempt_secret_hash"),
    // Messenger: sealed JSON of the client's Pages with their Page tokens (cleared on any outcome).
    pagesCiphertext: text("pages_ciphertext"),
    // WhatsApp: what the attempt did about the number's Cloud API registration.
    registration: text("registration", { enum: ["registered", "already_registered", "not_needed"] }),
    // How the client was sent to Meta: Embedded Signup's popup, or a full-page redirect to
    // Meta's OAuth dialog (in-app browsers, blocked popups).
    launch: text("launch", { enum: ATTEMPT_LAUNCHES }).notNull().default("popup"),
    // desktop, mobile or in_app_browser, from the User-Agent at start (the string is not kept).
    deviceClass: text("device_class", { enum: DEVICE_CLASSES }),
    // How the attempt ended: "completed", "failed", or null while running.
    outcome: text("outcome", { enum: ["completed", "failed"] }),
    // For the operator (never shown to the client): where it failed and what Meta or the page
    // said (Meta's CANCEL step or error message, a Graph error's code and message).
    failureStep: text("failure_step"),
    failureDetail: text("failure_detail"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    // The number step after Meta's window (adding_number, verifying_number), when it began, and
    // what finishing needs, sealed (the business token, WABA, number): cleared on any outcome.
    numberStep: text("number_step", { enum: ONBOARDING_STEPS }),
    numberCiphertext: text("number_ciphertext"),
    numberStepAt: integer("number_step_at"),
    // The last code request, the wrong codes since it, and until when Meta asked us to wait.
    codeRequestedAt: integer("code_requested_at"),
    codeGuesses: integer("code_guesses").notNull().default(0),
    numberWaitUntil: integer("number_wait_until"),
    // SHA-256 (hex) of the nonce of the OAuth dialog's `state` (full-page redirect): cleared by
    // the one callback that uses it, so a state works once.
    redirectStateHash: text("redirect_state_hash"),
    // When the outcome was written (a trigger sets it, drizzle/0010).
    endedAt: integer("ended_at"),
    // What the partner sees of a failed attempt (GET /v1/invitations/{id}/attempts): its reason,
    // the `current_step` of Meta's CANCEL, and the code and session id of Meta's error.
    failureReason: text("failure_reason"),
    abandonedStep: text("abandoned_step"),
    metaErrorCode: text("meta_error_code"),
    metaSessionId: text("meta_session_id"),
  },
  (t) => [
    primaryKey({ columns: [t.invitationId, t.startedAt] }),
    // The sweep of attempts left running (a Worker that died mid-connect).
    index("onboarding_attempts_running_idx").on(t.startedAt).where(sql`outcome IS NULL`),
    // The retention purge (oldest first).
    index("onboarding_attempts_created_idx").on(t.createdAt),
  ],
);

export type OnboardingAttemptRow = typeof onboardingAttempts.$inferSelect;

/**
 * The two-step verification PIN each WhatsApp number was registered with, keyed by Meta's
 * phone-number id alone: written before `register` is called and never skipped, so that every
 * later registration of the number, in any project or mode, uses the same PIN (another one is
 * Meta's 133005, PIN mismatch).
 */
export const phoneNumberPins = sqliteTable("phone_number_pins", {
  phoneNumberId: text("phone_number_id").primaryKey(),
  // Sealed with src/lib/crypto.ts.
  pinCiphertext: text("pin_ciphertext").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Open invitations (`pending`, `in_progress`, `failed`) per project and mode, kept by triggers
 * in the same statement as each insert and status change (drizzle/0007), so that the cap on open
 * invitations needs no count of rows on create.
 */
export const openInvitationCounts = sqliteTable(
  "open_invitation_counts",
  {
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    openCount: integer("open_count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.mode] })],
);

/**
 * The partner's brand on the invite page, per project and mode (drizzle/0011). The logo's bytes
 * are in R2 (binding BRANDING) under their SHA-256, which is also the path they are served from.
 */
export const invitationBranding = sqliteTable(
  "invitation_branding",
  {
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    displayName: text("display_name"),
    accentColor: text("accent_color"),
    supportEmail: text("support_email"),
    supportUrl: text("support_url"),
    privacyPolicyUrl: text("privacy_policy_url"),
    termsUrl: text("terms_url"),
    logoHash: text("logo_hash"),
    logoType: text("logo_type"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.mode] }),
    index("invitation_branding_logo_hash_idx").on(t.logoHash),
  ],
);
export type BrandingRow = typeof invitationBranding.$inferSelect;

/**
 * The keys of each invitation's metadata, written by a trigger on insert (drizzle/0010): the
 * list's `metadata[key]=value` filter is an index seek, newest first, like the list itself.
 */
export const invitationMetadata = sqliteTable(
  "invitation_metadata",
  {
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    createdAt: integer("created_at").notNull(),
    invitationId: text("invitation_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.mode, t.key, t.value, t.createdAt, t.invitationId] })],
);

/**
 * The funnel's rollup (GET /v1/invitations/stats): counts of the invitations created in one UTC
 * day (`periodDays` 1) or one aligned 16-day block (16), per project, mode and connection type,
 * kept by triggers in the same statement as each insert, status change, view, start and attempt
 * outcome (drizzle/0010). The JSON columns are `{ key: count }`: duration histogram buckets
 * (stats_duration_buckets), failure reasons and Meta steps.
 */
export const invitationStats = sqliteTable(
  "invitation_stats",
  {
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    periodDays: integer("period_days").notNull(),
    startDay: integer("start_day").notNull(),
    connectionType: text("connection_type", { enum: CONNECTION_TYPES }).notNull(),
    created: integer("created").notNull().default(0),
    viewed: integer("viewed").notNull().default(0),
    started: integer("started").notNull().default(0),
    pending: integer("pending").notNull().default(0),
    inProgress: integer("in_progress").notNull().default(0),
    completed: integer("completed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
    expired: integer("expired").notNull().default(0),
    viewSeconds: text("view_seconds").notNull().default("{}"),
    completeSeconds: text("complete_seconds").notNull().default("{}"),
    failureReasons: text("failure_reasons").notNull().default("{}"),
    abandonedSteps: text("abandoned_steps").notNull().default("{}"),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.mode, t.periodDays, t.startDay, t.connectionType] })],
);

/** Lower bounds (ms) of the duration histograms' buckets; bucket 0 is [0, 1 s). */
export const statsDurationBuckets = sqliteTable("stats_duration_buckets", {
  bucket: integer("bucket").primaryKey(),
  lowerMs: integer("lower_ms").notNull(),
});
/** One row per status change of a sender (trigger, drizzle/0009); the outbox of `sender.status_changed`. */
export const senderEvents = sqliteTable(
  "sender_events",
  {
    id: text("id").primaryKey(),
    senderId: text("sender_id").notNull(),
    projectId: text("project_id").notNull(),
    mode: text("mode", { enum: KEY_MODES }).notNull(),
    channel: text("channel", { enum: SENDER_CHANNELS }).notNull(),
    invitationId: text("invitation_id").notNull(),
    previousStatus: text("previous_status", { enum: SENDER_STATUSES }).notNull(),
    currentStatus: text("current_status", { enum: SENDER_STATUSES }).notNull(),
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
    deliveryState: text("delivery_state", { enum: DELIVERY_STATES }),
    deliveryAttempts: integer("delivery_attempts").notNull().default(0),
    leaseUntil: integer("lease_until"),
  },
  (t) => [
    index("sender_events_sender_idx").on(t.senderId, t.createdAt),
    index("sender_events_outbox_idx")
      .on(t.deliveryState, t.leaseUntil)
      .where(sql`delivery_state IN ('pending', 'queued')`),
  ],
);

export type SenderEventRow = typeof senderEvents.$inferSelect;

/**
 * Meta's webhook deliveries (POST /meta/webhooks), one row per change, keyed by a hash of the
 * change so that Meta's retries and repeats are stored once; processed through the queue and
 * purged after RETENTION_DAYS (src/db/retention.ts).
 */
export const metaWebhookInbox = sqliteTable(
  "meta_webhook_inbox",
  {
    id: text("id").primaryKey(),
    object: text("object").notNull(),
    entryId: text("entry_id").notNull(),
    field: text("field").notNull(),
    value: text("value").notNull(),
    entryTime: integer("entry_time"),
    receivedAt: integer("received_at").notNull(),
    processedAt: integer("processed_at"),
    // "applied" or "ignored" (a field this service does not act on).
    outcome: text("outcome"),
    leaseUntil: integer("lease_until"),
  },
  (t) => [
    index("meta_webhook_inbox_received_idx").on(t.receivedAt),
    index("meta_webhook_inbox_open_idx").on(t.leaseUntil).where(sql`processed_at IS NULL`),
  ],
);

export type MetaWebhookInboxRow = typeof metaWebhookInbox.$inferSelect;
