// The durable agent buffer on libSQL: one local file, WAL journal, full sync, one transaction per change.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Client, createClient, type InStatement, type Row } from '@libsql/client';
import type { Job, JobRef, Logs, Result } from '../../protocol/messages.ts';
import {
  ACKNOWLEDGED_RETAINED,
  type AgentBuffer,
  attemptKeys,
  type InboxEntry,
  InboxState,
  logsKey,
  type OutboxEntry,
  resultKey,
} from './types.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS inbox (
     seq INTEGER PRIMARY KEY,
     job_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     state TEXT NOT NULL,
     log_chunks INTEGER NOT NULL DEFAULT 0,
     job TEXT NOT NULL,
     UNIQUE (job_id, attempt))`,
  'CREATE INDEX IF NOT EXISTS inbox_by_state ON inbox (state, seq)',
  `CREATE TABLE IF NOT EXISTS outbox (
     seq INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     message TEXT NOT NULL)`,
];

// The statements, fixed text with bound parameters; nothing is built from values.
const SQL = {
  putJob: 'INSERT INTO inbox (job_id, attempt, state, job) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  getJob: 'SELECT job, state, log_chunks FROM inbox WHERE job_id = ? AND attempt = ?',
  setState: 'UPDATE inbox SET state = ? WHERE job_id = ? AND attempt = ?',
  held: 'SELECT job, state, log_chunks FROM inbox WHERE state IN (?, ?) ORDER BY seq',
  acknowledge:
    'UPDATE inbox SET state = ?, seq = (SELECT max(seq) + 1 FROM inbox) WHERE job_id = ? AND attempt = ?',
  pruneAcknowledged: `DELETE FROM inbox WHERE state = ?1 AND seq <= (
    SELECT seq FROM inbox WHERE state = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)`,
  removeJob: 'DELETE FROM inbox WHERE job_id = ? AND attempt = ?',
  forgetOutbox: 'DELETE FROM outbox WHERE key = ? OR substr(key, 1, ?) = ?',
  putOutbox: 'INSERT INTO outbox (key, kind, message) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  countChunk: 'UPDATE inbox SET log_chunks = max(log_chunks, ?) WHERE job_id = ? AND attempt = ?',
  pending: 'SELECT key, kind, message FROM outbox ORDER BY seq',
  outboxSize: 'SELECT count(*) AS n FROM outbox',
  removeOutbox: 'DELETE FROM outbox WHERE key = ?',
} as const;

function toEntry(row: Row): InboxEntry {
  return {
    job: JSON.parse(String(row.job)) as Job,
    state: String(row.state) as InboxState,
    logChunks: Number(row.log_chunks),
  };
}

export class LibsqlBuffer implements AgentBuffer {
  readonly #db: Client;
  readonly #retained: number;

  private constructor(db: Client, retained: number) {
    this.#db = db;
    this.#retained = retained;
  }

  /** Opens (creating if needed) the buffer file at `path`. */
  static async open(path: string, options: { acknowledgedRetained?: number } = {}): Promise<LibsqlBuffer> {
    mkdirSync(dirname(path), { recursive: true });
    // One connection: the PRAGMAs below are per connection, and every call runs to completion anyway.
    const db = createClient({ url: `file:${path}`, intMode: 'number', concurrency: 1 });
    try {
      await db.execute('PRAGMA journal_mode = WAL');
      await db.execute('PRAGMA synchronous = FULL');
      await db.execute('PRAGMA busy_timeout = 5000');
      await db.batch(SCHEMA, 'write');
    } catch (error) {
      db.close();
      throw error;
    }
    return new LibsqlBuffer(db, options.acknowledgedRetained ?? ACKNOWLEDGED_RETAINED);
  }

  async putJob(job: Job): Promise<boolean> {
    const rs = await this.#db.execute({
      sql: SQL.putJob,
      args: [job.jobId, job.attempt, InboxState.accepted, JSON.stringify(job)],
    });
    return rs.rowsAffected === 1;
  }

  async getJob(ref: JobRef): Promise<InboxEntry | undefined> {
    const rs = await this.#db.execute({ sql: SQL.getJob, args: [ref.jobId, ref.attempt] });
    const row = rs.rows[0];
    return row && toEntry(row);
  }

  async markRunning(ref: JobRef): Promise<void> {
    await this.#db.execute(this.#setState(ref, InboxState.running));
  }

  async markFinished(ref: JobRef): Promise<void> {
    await this.#db.execute(this.#setState(ref, InboxState.finished));
  }

  async heldJobs(): Promise<InboxEntry[]> {
    const rs = await this.#db.execute({ sql: SQL.held, args: [InboxState.accepted, InboxState.running] });
    return rs.rows.map(toEntry);
  }

  async removeJob(ref: JobRef): Promise<void> {
    await this.#db.execute({ sql: SQL.removeJob, args: [ref.jobId, ref.attempt] });
  }

  async forgetJob(ref: JobRef): Promise<void> {
    const keys = attemptKeys(ref.jobId, ref.attempt);
    await this.#db.batch(
      [
        { sql: SQL.removeJob, args: [ref.jobId, ref.attempt] },
        { sql: SQL.forgetOutbox, args: [keys.result, keys.logs.length, keys.logs] },
      ],
      'write',
    );
  }

  async appendLogs(chunk: Logs): Promise<void> {
    await this.#db.batch(this.#chunkStatements(chunk), 'write');
  }

  async finishJob(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void> {
    const statements: InStatement[] = finalChunk ? this.#chunkStatements(finalChunk) : [];
    statements.push(
      { sql: SQL.putOutbox, args: [resultKey(ref.jobId, ref.attempt), 'result', JSON.stringify(result)] },
      this.#setState(ref, InboxState.finished),
    );
    await this.#db.batch(statements, 'write');
  }

  async pendingOutbox(): Promise<OutboxEntry[]> {
    const rs = await this.#db.execute(SQL.pending);
    return rs.rows.map((row) => ({
      key: String(row.key),
      kind: String(row.kind),
      message: JSON.parse(String(row.message)),
    })) as OutboxEntry[];
  }

  async outboxSize(): Promise<number> {
    const rs = await this.#db.execute(SQL.outboxSize);
    return Number(rs.rows[0]?.n ?? 0);
  }

  async removeOutbox(key: string): Promise<boolean> {
    const rs = await this.#db.execute({ sql: SQL.removeOutbox, args: [key] });
    return rs.rowsAffected > 0;
  }

  async acknowledgeResult(ref: JobRef): Promise<void> {
    const { acknowledged } = InboxState;
    await this.#db.batch(
      [
        { sql: SQL.removeOutbox, args: [resultKey(ref.jobId, ref.attempt)] },
        { sql: SQL.acknowledge, args: [acknowledged, ref.jobId, ref.attempt] },
        { sql: SQL.pruneAcknowledged, args: [acknowledged, this.#retained] },
      ],
      'write',
    );
  }

  async close(): Promise<void> {
    if (!this.#db.closed) this.#db.close();
  }

  #setState(ref: JobRef, state: InboxState): InStatement {
    return { sql: SQL.setState, args: [state, ref.jobId, ref.attempt] };
  }

  #chunkStatements(chunk: Logs): InStatement[] {
    return [
      {
        sql: SQL.putOutbox,
        args: [logsKey(chunk.jobId, chunk.attempt, chunk.seq), 'logs', JSON.stringify(chunk)],
      },
      { sql: SQL.countChunk, args: [chunk.seq + 1, chunk.jobId, chunk.attempt] },
    ];
  }
}
