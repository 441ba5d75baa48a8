// Hand-written statements for the hot path. Drizzle's query builder costs about 0.35 ms of CPU per
// statement here (see test/bench/RESULTS.md); a `sql` template costs a third of that. Rows are mapped
// back through the table's own column types, so they are the same objects the builder returns.
import { type Column, getTableColumns, type SQL, type Table } from 'drizzle-orm';
import type { Db } from './connection.ts';

/** The rows of a statement, whichever driver ran it (postgres.js gives an array, PGlite `{ rows }`). */
export async function rowsOf(db: Db, query: SQL): Promise<Record<string, unknown>[]> {
  const result = (await db.execute(query)) as unknown;
  return Array.isArray(result) ? result : ((result as { rows: Record<string, unknown>[] }).rows ?? []);
}

/** Maps raw rows (database column names, driver values) to the table's typed row objects. */
export function rowMapper<T>(table: Table): (raw: Record<string, unknown>) => T {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = raw[column.name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T;
  };
}
