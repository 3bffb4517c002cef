import {
  decryptSecret,
  encryptSecret,
  isCurrentlySealed,
  SEALED_COLUMNS,
  type SealedColumn,
} from "../lib/crypto";

/**
 * Re-seals every sealed column (SEALED_COLUMNS) under the first key of ENCRYPTION_KEYS, bound to
 * its column: the step of a key rotation after which the old key can be dropped
 * (docs/operations.md, "Rotating secrets"). Shared by `npm run admin -- reseal` (through
 * `wrangler d1 execute`) and the tests (a D1 binding), which is why it talks to the database
 * only through `ResealDatabase`.
 *
 * In batches of `batchSize` rows per column, by rowid, so no statement is large. Safe to stop
 * and run again: a value already current is skipped, and each update is conditional on the old
 * ciphertext (`WHERE rowid = ? AND col = ?`), so a value the Worker rewrote meanwhile (already
 * current, since the Worker seals with the first key) is left alone.
 */
export interface ResealDatabase {
  /** Runs one SELECT with `?` parameters and returns its rows. */
  select(sql: string, params: (string | number)[]): Promise<Record<string, unknown>[]>;
  /**
   * Runs UPDATEs (one per element) and returns how many rows each returned: they end in
   * `RETURNING`, since `wrangler d1 execute` reports no change counts for a multi-statement command.
   */
  update(statements: { sql: string; params: (string | number)[] }[]): Promise<number[]>;
}

export interface ColumnReport {
  /** Re-sealed now under the first key, with its column as additional data. */
  resealed: number;
  /** Already sealed that way: nothing to do. */
  current: number;
  /** Could not be opened with any listed key (or not for this column): left unchanged. */
  failed: number;
  /** Changed by someone else between read and update: left to them. */
  raced: number;
}

/** `table.column` -> identifiers quoted for SQL (names come from SEALED_COLUMNS, never input). */
function identifiers(column: SealedColumn): { table: string; name: string } {
  const [table, name] = column.split(".") as [string, string];
  return { table: `"${table}"`, name: `"${name}"` };
}

export async function resealColumn(
  db: ResealDatabase,
  keys: string,
  column: SealedColumn,
  batchSize = 50,
): Promise<ColumnReport> {
  const { table, name } = identifiers(column);
  const report: ColumnReport = { resealed: 0, current: 0, failed: 0, raced: 0 };
  let after = -1;
  for (;;) {
    const rows = await db.select(
      `SELECT rowid AS rid, ${name} AS sealed FROM ${table} WHERE rowid > ? AND ${name} IS NOT NULL ORDER BY rowid LIMIT ?`,
      [after, batchSize],
    );
    if (rows.length === 0) break;
    const updates: { sql: string; params: (string | number)[] }[] = [];
    for (const row of rows) {
      const rid = Number(row.rid);
      const sealed = String(row.sealed);
      after = rid;
      if (isCurrentlySealed(keys, sealed)) {
        // Current in form; a value that does not open is still reported as failed.
        try {
          await decryptSecret(keys, sealed, column);
          report.current++;
        } catch {
          report.failed++;
        }
        continue;
      }
      let plain: string;
      try {
        plain = await decryptSecret(keys, sealed, column);
      } catch {
        report.failed++;
        continue;
      }
      updates.push({
        sql: `UPDATE ${table} SET ${name} = ? WHERE rowid = ? AND ${name} = ? RETURNING rowid`,
        params: [await encryptSecret(keys, plain, column), rid, sealed],
      });
    }
    if (updates.length > 0) {
      for (const changed of await db.update(updates)) {
        if (changed > 0) report.resealed++;
        else report.raced++;
      }
    }
    if (rows.length < batchSize) break;
  }
  return report;
}

/** Every sealed column in turn; the report per `table.column`. */
export async function resealAll(
  db: ResealDatabase,
  keys: string,
  batchSize = 50,
): Promise<Record<SealedColumn, ColumnReport>> {
  const reports = {} as Record<SealedColumn, ColumnReport>;
  for (const column of SEALED_COLUMNS) reports[column] = await resealColumn(db, keys, column, batchSize);
  return reports;
}
