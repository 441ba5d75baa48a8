// Hand-written statements for the hot path. Drizzle's query builder costs about 0.35 ms of CPU per
// statement here (see test/bench/RESULTS.md); a `sql` template costs a third of that. Rows are mapped
// back through the table's own column types, so they are the same objects the builder returns.
import { type Column, getTableColumns, getTableName, type SQL, sql, type Table } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
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

/** The text around a recordset insert's one parameter, built once per table, columns and expressions. */
interface InsertText {
  expressions: Record<string, SQL>;
  before: SQL;
  after: SQL;
}

const dialect = new PgDialect();
const insertTexts = new WeakMap<Table, Map<string, InsertText>>();

/**
 * An INSERT of many rows with one parameter: the rows as JSON, unpacked by the server
 * (`jsonb_to_recordset`); undefined when there are none. A ForEach's first decision inserts 1,000 task
 * runs and 1,000 jobs; as multi-row VALUES with a parameter per cell that took 70 to 210 ms each, most of
 * it building and sending 12,000 parameters. Only columns every row sets are written (the others take
 * their defaults); rows that set different columns must go in separate calls. `expressions` replaces a
 * column's value with SQL over the recordset row `r` (the column is then written for every row, set or
 * not); pass the same objects each time (module constants), so that the statement's text is built once.
 */
export function recordsetInsert<T extends Record<string, unknown>>(
  table: Table,
  rows: readonly T[],
  expressions: Record<string, SQL> = {},
): SQL | undefined {
  if (!rows.length) return undefined;
  const columns = (Object.entries(getTableColumns(table)) as [string, Column][]).filter(
    ([key, column]) => column.name in expressions || rows.every((row) => row[key] !== undefined),
  );
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [key, column] of columns) record[column.name] = recordValue(column, row[key]);
    return record;
  });
  const text = insertText(table, columns, expressions);
  return sql`${text.before}${JSON.stringify(records)}${text.after}`;
}

/** Inserts the rows as `recordsetInsert` describes, in one statement. */
export async function insertRecordset<T extends Record<string, unknown>>(
  db: Db,
  table: Table,
  rows: readonly T[],
  expressions: Record<string, SQL> = {},
): Promise<void> {
  const statement = recordsetInsert(table, rows, expressions);
  if (statement) await db.execute(statement);
}

/**
 * The statement's text but the rows, rendered once: drizzle's SQL building (a type check per chunk) cost
 * more than the rest of an insert of a row. Kept only while it holds no parameter and the expressions
 * are the same objects as when it was built.
 */
function insertText(table: Table, columns: [string, Column][], expressions: Record<string, SQL>): InsertText {
  const key = `${columns.map(([, c]) => c.name).join(',')}|${Object.keys(expressions).join(',')}`;
  let texts = insertTexts.get(table);
  const cached = texts?.get(key);
  if (cached && Object.entries(expressions).every(([name, expr]) => cached.expressions[name] === expr))
    return cached;
  const names = columns.map(([, c]) => sql.identifier(c.name));
  const values = columns.map(([, c]) => expressions[c.name] ?? sql`r.${sql.identifier(c.name)}`);
  const types = columns.map(([, c]) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`);
  const before = sql`insert into ${sql.identifier(getTableName(table))} (${sql.join(names, sql`, `)})
    select ${sql.join(values, sql`, `)}
    from jsonb_to_recordset(`;
  const after = sql`::jsonb) as r(${sql.join(types, sql`, `)})`;
  const rendered = [before, after].map((part) => dialect.sqlToQuery(part));
  if (rendered.some((part) => part.params.length)) return { expressions, before, after };
  const text = {
    expressions,
    before: sql.raw(rendered[0]!.sql),
    after: sql.raw(rendered[1]!.sql),
  };
  if (!texts) {
    texts = new Map();
    insertTexts.set(table, texts);
  }
  texts.set(key, text);
  return text;
}
