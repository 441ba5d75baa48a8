// Executions and their task runs: the rows the executor locks, reads and changes one decision at a time.
import { desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { insertRecordset, recordValue, rowMapper, rowsOf } from './raw.ts';
import { type Attempt, executions, taskRuns } from './schema.ts';

export type ExecutionRow = typeof executions.$inferSelect;
export type NewExecution = typeof executions.$inferInsert;
export type TaskRunRow = typeof taskRuns.$inferSelect;
export type NewTaskRun = typeof taskRuns.$inferInsert;
export type ExecutionPatch = Partial<Omit<ExecutionRow, 'id' | 'version'>>;
export type TaskRunPatch = Partial<Omit<TaskRunRow, 'id' | 'executionId'>>;

const toExecution = rowMapper<ExecutionRow>(executions);
const toTaskRun = rowMapper<TaskRunRow>(taskRuns);
const TASK_RUN_COLUMNS = getTableColumns(taskRuns);

export class ExecutionsStore {
  constructor(private readonly db: Db) {}

  async insert(row: NewExecution): Promise<ExecutionRow> {
    const [inserted] = await this.db.insert(executions).values(row).returning();
    return inserted!;
  }

  async get(id: string): Promise<ExecutionRow | undefined> {
    const [row] = await rowsOf(this.db, sql`select * from executions where id = ${id}`);
    return row && toExecution(row);
  }

  /** Reads the execution and holds its row lock until the transaction ends. */
  async lock(id: string): Promise<ExecutionRow | undefined> {
    const [row] = await rowsOf(this.db, sql`select * from executions where id = ${id} for update`);
    return row && toExecution(row);
  }

  async update(id: string, patch: ExecutionPatch): Promise<void> {
    await this.db
      .update(executions)
      .set({ ...patch, version: sql`${executions.version} + 1` })
      .where(eq(executions.id, id));
  }

  async list(filter: { namespace?: string; flowId?: string; limit?: number } = {}): Promise<ExecutionRow[]> {
    const q = this.db.select().from(executions);
    const conditions = [];
    if (filter.namespace !== undefined) conditions.push(eq(executions.namespace, filter.namespace));
    if (filter.flowId !== undefined) conditions.push(eq(executions.flowId, filter.flowId));
    return q
      .where(conditions.length ? sql.join(conditions, sql` and `) : undefined)
      .orderBy(desc(executions.startDate))
      .limit(filter.limit ?? 100);
  }

  async insertTaskRuns(rows: NewTaskRun[]): Promise<void> {
    await insertRecordset(this.db, taskRuns, rows);
  }

  /**
   * Applies each patch to its task run. Patches that set the same columns share one statement (a
   * decision on a burst of results ends many task runs alike), whatever their number.
   */
  async updateTaskRuns(updates: readonly { id: string; patch: TaskRunPatch }[]): Promise<void> {
    const groups = new Map<string, { columns: string[]; rows: Record<string, unknown>[] }>();
    for (const { id, patch } of updates) {
      const keys = Object.keys(patch)
        .filter((key) => patch[key as keyof TaskRunPatch] !== undefined)
        .sort();
      if (!keys.length) continue;
      const signature = keys.join(',');
      const group = groups.get(signature) ?? { columns: keys, rows: [] };
      groups.set(signature, group);
      const row: Record<string, unknown> = { id };
      for (const key of keys) {
        const column = TASK_RUN_COLUMNS[key as keyof typeof TASK_RUN_COLUMNS];
        if (!column) throw new Error(`task_runs has no column for ${key}`);
        row[column.name] = recordValue(column, patch[key as keyof TaskRunPatch]);
      }
      group.rows.push(row);
    }
    for (const { columns, rows } of groups.values()) {
      const cols = columns.map((key) => TASK_RUN_COLUMNS[key as keyof typeof TASK_RUN_COLUMNS]);
      if (rows.length === 1) {
        // one row: a plain UPDATE, with no recordset to unpack and join
        const [row] = rows as [Record<string, unknown>];
        const sets = cols.map((c) => {
          const value = row[c.name];
          const json = c.getSQLType() === 'jsonb' && value !== null;
          const text = json ? JSON.stringify(value) : (value as string | number | null);
          return sql`${sql.identifier(c.name)} = ${text}::${sql.raw(c.getSQLType())}`;
        });
        await this.db.execute(sql`update task_runs set ${sql.join(sets, sql`, `)} where id = ${row.id}`);
        continue;
      }
      const sets = cols.map((c) => sql`${sql.identifier(c.name)} = v.${sql.identifier(c.name)}`);
      const types = cols.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`);
      await this.db.execute(sql`update task_runs t set ${sql.join(sets, sql`, `)}
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id text, ${sql.join(types, sql`, `)})
        where t.id = v.id`);
    }
  }

  /** Removes task runs (the children of a loop iteration that starts again, as Kestra removes them). */
  async deleteTaskRuns(ids: string[]): Promise<void> {
    if (ids.length) await this.db.delete(taskRuns).where(inArray(taskRuns.id, ids));
  }

  /** Appends a running attempt to a task run and marks it RUNNING (the dispatcher, when it grants a lease). */
  async startAttempt(id: string, attempt: Attempt, now: Date): Promise<void> {
    const running = JSON.stringify([{ state: 'RUNNING', date: now.toISOString() }]);
    await this.db.execute(sql`update task_runs set
        attempts = attempts || ${JSON.stringify([attempt])}::jsonb,
        histories = case when state = 'RUNNING' then histories else histories || ${running}::jsonb end,
        state = 'RUNNING'
      where id = ${id}`);
  }

  /** Ends the task run's last attempt (its agent was lost) without touching the task run's own state. */
  async endLastAttempt(id: string, patch: Pick<Attempt, 'state' | 'endDate' | 'error'>): Promise<void> {
    await this.db
      .update(taskRuns)
      .set({
        attempts: sql`case when jsonb_array_length(${taskRuns.attempts}) = 0 then ${taskRuns.attempts}
          else jsonb_set(${taskRuns.attempts}, '{-1}', (${taskRuns.attempts} -> -1) || ${JSON.stringify(patch)}::jsonb) end`,
      })
      .where(eq(taskRuns.id, id));
  }

  /** The attempts of these task runs, locked until the transaction ends (after their jobs: see JobsStore). */
  async lockAttempts(ids: string[]): Promise<Map<string, Attempt[]>> {
    if (!ids.length) return new Map();
    const rows = await rowsOf(
      this.db,
      sql`select id, attempts from task_runs where id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )}) for update`,
    );
    return new Map(rows.map((row) => [String(row.id), row.attempts as Attempt[]]));
  }

  async taskRun(id: string): Promise<TaskRunRow | undefined> {
    const [row] = await this.db.select().from(taskRuns).where(eq(taskRuns.id, id));
    return row;
  }

  /**
   * The execution's task runs written since `since` (a watermark this method returned before; omit it to
   * read them all), in creation order, and the watermark to pass next time. The watermark is the oldest
   * transaction still running when the rows were read: a row this read could not see was written by that
   * transaction or a later one, so reading from it again misses nothing (rows may come twice).
   */
  async taskRunsSince(
    executionId: string,
    since?: number,
  ): Promise<{ taskRuns: TaskRunRow[]; watermark: number }> {
    // one statement, so the watermark and the rows come from the same snapshot
    const newer = since === undefined ? sql`` : sql` and t.written_xid >= ${since}`;
    const rows = await rowsOf(
      this.db,
      sql`select (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint as roost_watermark, t.*
        from (select 1) one left join task_runs t on t.execution_id = ${executionId}${newer}
        order by t.start_date, t.id`,
    );
    const watermark = Number(rows[0]!.roost_watermark);
    const taskRuns = rows[0]!.id === null ? [] : rows.map(toTaskRun);
    return { taskRuns, watermark };
  }

  async taskRuns(executionId: string): Promise<TaskRunRow[]> {
    const rows = await rowsOf(
      this.db,
      sql`select * from task_runs where execution_id = ${executionId} order by start_date, id`,
    );
    return rows.map(toTaskRun);
  }
}
