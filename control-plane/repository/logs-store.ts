// Execution logs: agent chunks stored once per (job, attempt, seq, line) so that replays never duplicate.
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { logs } from './schema.ts';

export type LogRow = typeof logs.$inferSelect;
export type NewLog = typeof logs.$inferInsert;

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

export interface LogQuery {
  /** only logs at this level or above */
  minLevel?: (typeof LEVELS)[number];
  taskRunId?: string;
  /** only logs after this id (for following) */
  afterId?: number;
  limit?: number;
}

export class LogsStore {
  constructor(private readonly db: Db) {}

  /** Inserts lines; lines of an agent chunk already stored are skipped. Returns how many were new. */
  async insert(rows: NewLog[]): Promise<number> {
    if (!rows.length) return 0;
    const inserted = await this.db.insert(logs).values(rows).onConflictDoNothing().returning({ id: logs.id });
    return inserted.length;
  }

  async list(executionId: string, query: LogQuery = {}): Promise<LogRow[]> {
    const conditions = [eq(logs.executionId, executionId)];
    if (query.taskRunId !== undefined) conditions.push(eq(logs.taskRunId, query.taskRunId));
    if (query.afterId !== undefined) conditions.push(gt(logs.id, query.afterId));
    if (query.minLevel !== undefined) {
      conditions.push(inArray(logs.level, LEVELS.slice(LEVELS.indexOf(query.minLevel))));
    }
    return this.db
      .select()
      .from(logs)
      .where(and(...conditions))
      .orderBy(asc(logs.ts), asc(logs.id))
      .limit(query.limit ?? 10_000);
  }

  /** Full-text search over messages (the GIN index), newest first. */
  async search(text: string, limit = 100): Promise<LogRow[]> {
    return this.db
      .select()
      .from(logs)
      .where(sql`to_tsvector('simple', ${logs.message}) @@ plainto_tsquery('simple', ${text})`)
      .orderBy(sql`${logs.id} desc`)
      .limit(limit);
  }
}
