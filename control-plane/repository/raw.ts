// Hand-written statements for the hot path. Drizzle's query builder costs about 0.35 ms of CPU per
// statement here (see test/bench/RESULTS.md); a `sql` template costs a third of that. Rows are mapped
// back through the table's own column types, so they are the same objects the builder returns.
import { type Column, getTableColumns, getTableName, type SQL, sql, type Table } from 'drizzle-orm';
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

/** A value as a JSON recordset holds it: as JSON for a jsonb column, in the driver's form otherwise. */
export function recordValue(column: Column, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return column.getSQLType() === 'jsonb' ? value : column.mapToDriverValue(value);
}

/**
 * Inserts many rows in one statement with one parameter: the rows as JSON, unpacked by the server
 * (`jsonb_to_recordset`). A ForEach's first decision inserts 1,000 task runs and 1,000 jobs; as
 * multi-row VALUES with a parameter per cell that took 70 to 210 ms each, most of it building and
 * sending 12,000 parameters. Only columns every row sets are written (the others take their defaults);
 * rows that set different columns must go in separate calls. One row is inserted the same way. `expressions` replaces a column's value
 * with SQL over the recordset row `r` (the column is then written for every row, set or not).
 */
export async function insertRecordset<T extends Record<string, unknown>>(
  db: Db,
  table: Table,
  rows: readonly T[],
  expressions: Record<string, SQL> = {},
): Promise<void> {
  if (!rows.length) return;
  const columns = (Object.entries(getTableColumns(table)) as [string, Column][]).filter(
    ([key, column]) => column.name in expressions || rows.every((row) => row[key] !== undefined),
  );
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [key, column] of columns) record[column.name] = recordValue(column, row[key]);
    return record;
  });
  const names = columns.map(([, c]) => sql.identifier(c.name));
  const values = columns.map(([, c]) => expressions[c.name] ?? sql`r.${sql.identifier(c.name)}`);
  const types = columns.map(([, c]) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`);
  await db.execute(sql`insert into ${sql.identifier(getTableName(table))} (${sql.join(names, sql`, `)})
    select ${sql.join(values, sql`, `)}
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(${sql.join(types, sql`, `)})`);
}
