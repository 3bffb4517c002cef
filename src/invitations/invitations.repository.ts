import {
  and,
  desc,
  eq,
  exists,
  fillPlaceholders,
  getTableColumns,
  inArray,
  lte,
  or,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import { type Db, preparedOnce } from "../db/client";
import {
  type InvitationRow,
  type InvitationStatus,
  invitationMetadata,
  invitations,
  type KeyMode,
  openInvitationCounts,
  phoneNumbers,
} from "../db/schema";
import type { Config } from "../lib/config";
import { encryptSecret, hmacSha256Hex, randomId, randomToken } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { BatchItem } from "../middleware/idempotent-request";
import type { Tenant } from "../projects/tenant";
import type { CursorPosition } from "./cursor";
import type { InvitationCreateRequest } from "./invitations.schemas";
import { INVITATION_VIEW_COLUMNS, type InvitationView } from "./invitations.serialize";
import { expireOverdueStatement, isOpen, OPEN_STATUSES } from "./lifecycle";

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

/** A new invitation's row and its token, made in memory: the insert needs no RETURNING. */
export async function newInvitation(
  config: Config,
  projectId: string,
  input: InvitationCreateRequest,
  now: number,
  mode: KeyMode = "live",
): Promise<{ row: InvitationRow; token: string }> {
  // 256 bits from the CSPRNG, base64url: unguessable and safe in a URL path.
  const token = randomToken(32);
  const [tokenHash, tokenCiphertext] = await Promise.all([
    hmacSha256Hex(config.tokenHashKey, token),
    encryptSecret(config.encryptionKeys, token, "invitations.token_ciphertext"),
  ]);
  const row: InvitationRow = {
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
    senderId: null,
    connectedAccountId: null,
    connectedAccountChannel: null,
    connectedAccountName: null,
    failureReason: null,
    expiresAt: now + input.expiresInDays * DAY_MS,
    viewedAt: null,
    startedAt: null,
    completedAt: null,
    failedAt: null,
    cancelledAt: null,
    createdAt: now,
    updatedAt: now,
    onboardingStep: null,
    successRedirectUrl: input.successRedirectUrl ?? null,
    failureRedirectUrl: input.failureRedirectUrl ?? null,
    phoneNumberType: input.phoneNumberType ?? null,
    language: input.language ?? null,
    metadata: input.metadata && Object.keys(input.metadata).length > 0 ? input.metadata : null,
  };
  return { row, token };
}

/** Why `insertInvitation` did not insert: `onlyIf` did not hold, or the project's mode is full. */
export type InsertOutcome = "inserted" | "not_held" | "at_capacity";

/**
 * The project's mode has fewer than `maxOpen` open invitations: read from the counter the
 * triggers keep (drizzle/0006), so the cap costs an index lookup inside the insert, not a count.
 */
function belowCap(
  projectId: Placeholder | string,
  mode: Placeholder | string,
  maxOpen: Placeholder | number,
): SQL {
  return sql`coalesce((SELECT ${openInvitationCounts.openCount} FROM ${openInvitationCounts} WHERE ${openInvitationCounts.projectId} = ${projectId} AND ${openInvitationCounts.mode} = ${mode}), 0) < ${maxOpen}`;
}

/**
 * Inserts `row` in one round trip, together with `alsoWith` (statements that must commit with
 * it, such as the idempotency record, guarded so they apply only if the row went in), and only
 * while `onlyIf` holds and the project has fewer than `maxOpen` open invitations in the row's
 * mode (checked by the insert itself). With a `phoneNumberId`, the same batch checks that the
 * number is the project's and first frees it from an invitation that expired by time but was
 * not swept yet. Says whether the row went in, with the results of `alsoWith`; throws the 400
 * a client can fix.
 */
export async function insertInvitation(
  db: Db,
  row: InvitationRow,
  options: { maxOpen: number; onlyIf?: SQL; alsoWith?: BatchItem[] },
): Promise<{ outcome: InsertOutcome; alsoWith: unknown[] }> {
  const { phoneNumberId, projectId } = row;
  const number =
    phoneNumberId === null
      ? undefined
      : db
          .select({ id: phoneNumbers.id })
          .from(phoneNumbers)
          .where(and(eq(phoneNumbers.id, phoneNumberId), eq(phoneNumbers.projectId, projectId)));
  const condition = and(number && exists(number), options.onlyIf);
  let results: unknown[];
  try {
    if (!condition && !options.alsoWith?.length) {
      // One statement alone needs no batch (a batch is a transaction around its statements),
      // and the plain insert is prepared once per isolate: the hot path of every create.
      const result = await prepared.insert(db).run({
        ...row,
        allowedPhoneCountries: jsonOrNull(row.allowedPhoneCountries),
        metadata: jsonOrNull(row.metadata),
        maxOpen: options.maxOpen,
      });
      // Refused only by the cap: `changes` counts the triggers' writes too, and is 0 only when
      // nothing was inserted.
      return { outcome: (result as D1Result).meta.changes > 0 ? "inserted" : "at_capacity", alsoWith: [] };
    }
    // RETURNING says whether the row went in: `meta.changes` also counts the triggers' writes.
    const insert = db
      .insert(invitations)
      .select(
        sql`SELECT ${rowValues(row)} WHERE ${and(condition, belowCap(projectId, row.mode, options.maxOpen))}`,
      )
      .returning({ id: invitations.id });
    // Read in the same transaction, before the insert: why it did not go in, if it did not.
    const open = db
      .select({ full: sql<number>`NOT (${belowCap(projectId, row.mode, options.maxOpen)})` })
      .from(sql`(SELECT 1)`);
    const statements: [BatchItem, ...BatchItem[]] = [open, insert, ...(options.alsoWith ?? [])];
    if (number && phoneNumberId !== null) {
      // An invitation that expired by time but was not swept yet must not hold the number.
      statements.unshift(number, expireOverdueStatement(db, row.createdAt, { limit: 10, phoneNumberId }));
    }
    results = await db.batch(statements);
  } catch (error) {
    // The partial unique index keeps a number on one open invitation, even under races.
    if (isOpenPhoneNumberConflict(error)) {
      throw phoneNumberError("This phone number is already held by another open invitation");
    }
    throw error;
  }
  const [found, , full, inserted, ...alsoWith] = number ? results : [undefined, undefined, ...results];
  if (Array.isArray(found) && found.length === 0) {
    throw phoneNumberError("No phone number with this id in this project");
  }
  if (Array.isArray(inserted) && inserted.length === 1) return { outcome: "inserted", alsoWith };
  return { outcome: (full as { full: number }[])[0]?.full ? "at_capacity" : "not_held", alsoWith };
}

function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** `row` as the SELECT list of an INSERT … SELECT, in the table's column order. */
function rowValues(row: InvitationRow): SQL {
  const columns = getTableColumns(invitations);
  return sql.join(
    (Object.keys(columns) as (keyof typeof columns)[]).map((name) => {
      const value = row[name];
      return value === null ? sql`NULL` : sql`${sql.param(value, columns[name])}`;
    }),
    sql`, `,
  );
}

export async function findInvitation(
  db: Db,
  tenant: Tenant,
  id: string,
): Promise<InvitationView | undefined> {
  return prepared.find(db).get({ id, ...tenant });
}

/** The hottest statements, built once per isolate and run on each request's client. */
const prepared = {
  find: preparedOnce((db) =>
    db
      .select(INVITATION_VIEW_COLUMNS)
      .from(invitations)
      .where(
        and(
          eq(invitations.id, sql.placeholder("id")),
          eq(invitations.projectId, sql.placeholder("projectId")),
          eq(invitations.mode, sql.placeholder("mode")),
        ),
      )
      .limit(1)
      .prepare(),
  ),
  insert: preparedOnce((db) => {
    const columns = Object.keys(getTableColumns(invitations)) as (keyof InvitationRow)[];
    // Filled as SQL text, not through the JSON column's encoder, which would store NULL as 'null'.
    const values = sql.join(
      columns.map((name) => sql`${sql.placeholder(name)}`),
      sql`, `,
    );
    const cap = belowCap(sql.placeholder("projectId"), sql.placeholder("mode"), sql.placeholder("maxOpen"));
    return db.insert(invitations).select(sql`SELECT ${values} WHERE ${cap}`).prepare();
  }),
};

/** The read of `findInvitation`, for a `db.batch`. */
export function findInvitationStatement(db: Db, tenant: Tenant, id: string) {
  return db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.id, id),
        eq(invitations.projectId, tenant.projectId),
        eq(invitations.mode, tenant.mode),
      ),
    )
    .limit(1);
}

/** The shapes a list's `status` filter takes; each has its own prepared query. */
type StatusFilter = "any" | "expired" | "open" | "closed";

function statusFilter(status: InvitationStatus | undefined): StatusFilter {
  if (status === undefined) return "any";
  if (status === "expired") return "expired";
  return isOpen(status) ? "open" : "closed";
}

/**
 * The `status` filter as readers see it, with placeholders (`now`, `status`): expiry by time
 * counts as `expired`.
 */
function statusCondition(filter: StatusFilter): SQL | undefined {
  const now = sql.placeholder("now");
  switch (filter) {
    case "any":
      return undefined;
    case "expired":
      return or(
        eq(invitations.status, "expired"),
        and(inArray(invitations.status, [...OPEN_STATUSES]), lte(invitations.expiresAt, now)),
      );
    case "open":
      // Unary `+` keeps SQLite from choosing the sweep's (status, expires_at) index, which spans
      // every project and would need a sort: the page must come in (created_at, id) index order.
      return and(eq(invitations.status, sql.placeholder("status")), sql`+${invitations.expiresAt} > ${now}`);
    case "closed":
      return eq(invitations.status, sql.placeholder("status"));
  }
}

/** The list query of each status filter, first page or after a cursor, each prepared once. */
const listQueries = new Map<string, ReturnType<typeof prepareList>>();

function prepareList(filter: StatusFilter, paged: boolean) {
  return preparedOnce((db) =>
    db
      .select(INVITATION_VIEW_COLUMNS)
      .from(invitations)
      .where(
        and(
          eq(invitations.projectId, sql.placeholder("projectId")),
          eq(invitations.mode, sql.placeholder("mode")),
          statusCondition(filter),
          paged
            ? sql`(${invitations.createdAt}, ${invitations.id}) < (${sql.placeholder("afterCreatedAt")}, ${sql.placeholder("afterId")})`
            : undefined,
        ),
      )
      .orderBy(desc(invitations.createdAt), desc(invitations.id))
      .limit(sql.placeholder("limit"))
      .prepare(),
  );
}

interface ListOptions extends Tenant {
  status?: InvitationStatus;
  /** Only invitations whose metadata has this key with exactly this value. */
  metadata?: { key: string; value: string };
  after?: CursorPosition;
  limit: number;
  now: number;
}

function listPlan(options: ListOptions) {
  const filter = statusFilter(options.status);
  const key = `${filter}:${options.after !== undefined}`;
  let query = listQueries.get(key);
  if (!query) {
    query = prepareList(filter, options.after !== undefined);
    listQueries.set(key, query);
  }
  const values = {
    projectId: options.projectId,
    mode: options.mode,
    status: options.status,
    now: options.now,
    afterCreatedAt: options.after?.createdAt,
    afterId: options.after?.id,
    limit: options.limit + 1,
  };
  return { query, values };
}

/**
 * One newest-first page by keyset on `(created_at, id)`: an index seek, whatever the depth.
 * Fetches one row more than asked to know whether another page exists.
 */
export function listInvitations(db: Db, options: ListOptions): Promise<InvitationView[]> {
  if (options.metadata) return listByMetadata(db, options, options.metadata);
  const { query, values } = listPlan(options);
  return query(db).all(values);
}

/** The SQL and parameters `listInvitations` runs, for EXPLAIN QUERY PLAN (tests, scale runs). */
export function listInvitationsSql(db: Db, options: ListOptions): { sql: string; params: unknown[] } {
  const { query, values } = listPlan(options);
  const { sql: text, params } = query(db).getQuery();
  return { sql: text, params: fillPlaceholders(params, values) };
}

/**
 * A page of the list filtered on one metadata pair: a seek in invitation_metadata's primary key
 * (project, mode, key, value, created_at, invitation_id), newest first, each row joined to its
 * invitation by id. With a status filter too, rows of other statuses are read and skipped.
 */
function listByMetadata(
  db: Db,
  options: ListOptions,
  pair: { key: string; value: string },
): Promise<InvitationView[]> {
  const m = invitationMetadata;
  const filter = statusFilter(options.status);
  const status = statusCondition(filter);
  const values = { now: options.now, status: options.status };
  return db
    .select(INVITATION_VIEW_COLUMNS)
    .from(m)
    .innerJoin(invitations, eq(invitations.id, m.invitationId))
    .where(
      and(
        eq(m.projectId, options.projectId),
        eq(m.mode, options.mode),
        eq(m.key, pair.key),
        eq(m.value, pair.value),
        options.after
          ? sql`(${m.createdAt}, ${m.invitationId}) < (${options.after.createdAt}, ${options.after.id})`
          : undefined,
        status,
      ),
    )
    .orderBy(desc(m.createdAt), desc(m.invitationId))
    .limit(options.limit + 1)
    .prepare()
    .all(values);
}
