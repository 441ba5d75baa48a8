// The durable agent buffer on libSQL: one local file, WAL journal. Writes issued in the same turn of the
// event loop commit together (group commit: with several slots busy, the jobs that arrive or finish
// together share one sync). A write whose loss would lose work (a job accepted, a result, a log chunk)
// commits with `synchronous = FULL`; one whose loss only repeats work (a job marked running, an
// acknowledgement) commits with NORMAL, which survives a crash of the agent but not of the host, and is
// made durable by the next FULL commit.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
// the local-file client only: the full client also loads the remote (HTTP/WebSocket) protocols, ~13 MiB
import {
  type Client,
  createClient,
  type InStatement,
  type ResultSet,
  type Row,
} from '@libsql/client/sqlite3';
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
  unsettled: 'SELECT job, state, log_chunks FROM inbox WHERE state <> ? ORDER BY seq',
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

/** Writes waiting for the next group commit. */
interface PendingWrite {
  statements: InStatement[];
  durable: boolean;
  resolve: (results: ResultSet[]) => void;
  reject: (error: unknown) => void;
}

type Synchronous = 'FULL' | 'NORMAL';

export class LibsqlBuffer implements AgentBuffer {
  readonly #db: Client;
  readonly #retained: number;
  #pending: PendingWrite[] = [];
  #flushing: Promise<void> | undefined;
  #synchronous: Synchronous = 'FULL';

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
    const [rs] = await this.#write([
      { sql: SQL.putJob, args: [job.jobId, job.attempt, InboxState.accepted, JSON.stringify(job)] },
    ]);
    return rs!.rowsAffected === 1;
  }

  async getJob(ref: JobRef): Promise<InboxEntry | undefined> {
    const rs = await this.#db.execute({ sql: SQL.getJob, args: [ref.jobId, ref.attempt] });
    const row = rs.rows[0];
    return row && toEntry(row);
  }

  async markRunning(ref: JobRef): Promise<void> {
    // lost with the host, the job looks not started and runs again after a restart: at least once
    await this.#write([this.#setState(ref, InboxState.running)], false);
  }

  async markFinished(ref: JobRef): Promise<void> {
    await this.#write([this.#setState(ref, InboxState.finished)]);
  }

  async heldJobs(): Promise<InboxEntry[]> {
    const rs = await this.#db.execute({ sql: SQL.held, args: [InboxState.accepted, InboxState.running] });
    return rs.rows.map(toEntry);
  }

  async unsettledJobs(): Promise<InboxEntry[]> {
    const rs = await this.#db.execute({ sql: SQL.unsettled, args: [InboxState.acknowledged] });
    return rs.rows.map(toEntry);
  }

  async removeJob(ref: JobRef): Promise<void> {
    await this.#write([{ sql: SQL.removeJob, args: [ref.jobId, ref.attempt] }]);
  }

  async forgetJob(ref: JobRef): Promise<void> {
    const keys = attemptKeys(ref.jobId, ref.attempt);
    await this.#write([
      { sql: SQL.removeJob, args: [ref.jobId, ref.attempt] },
      { sql: SQL.forgetOutbox, args: [keys.result, keys.logs.length, keys.logs] },
    ]);
  }

  async appendLogs(chunk: Logs): Promise<void> {
    await this.#write(this.#chunkStatements(chunk));
  }

  async finishJob(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void> {
    const statements: InStatement[] = finalChunk ? this.#chunkStatements(finalChunk) : [];
    statements.push(
      { sql: SQL.putOutbox, args: [resultKey(ref.jobId, ref.attempt), 'result', JSON.stringify(result)] },
      this.#setState(ref, InboxState.finished),
    );
    await this.#write(statements);
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
    // lost with the host, the message is sent again, and the control plane stores it once
    const [rs] = await this.#write([{ sql: SQL.removeOutbox, args: [key] }], false);
    return rs!.rowsAffected > 0;
  }

  async acknowledgeResult(ref: JobRef): Promise<void> {
    const { acknowledged } = InboxState;
    // lost with the host, the result is sent again and the control plane acknowledges it again
    await this.#write(
      [
        { sql: SQL.removeOutbox, args: [resultKey(ref.jobId, ref.attempt)] },
        { sql: SQL.acknowledge, args: [acknowledged, ref.jobId, ref.attempt] },
        { sql: SQL.pruneAcknowledged, args: [acknowledged, this.#retained] },
      ],
      false,
    );
  }

  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (!this.#db.closed) this.#db.close();
  }

  /** Queues statements for the next group commit; resolves with their results once it has committed. */
  #write(statements: InStatement[], durable = true): Promise<ResultSet[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ statements, durable, resolve, reject });
      this.#flushing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length) {
      const group = this.#pending;
      this.#pending = [];
      try {
        await this.#commit(group);
      } catch {
        // one bad write must not fail the others: commit each alone
        for (const write of group) await this.#commit([write]).catch(write.reject);
      }
    }
    this.#flushing = undefined;
  }

  async #commit(group: PendingWrite[]): Promise<void> {
    const synchronous = group.some((w) => w.durable) ? 'FULL' : 'NORMAL';
    if (synchronous !== this.#synchronous) {
      await this.#db.execute(`PRAGMA synchronous = ${synchronous}`);
      this.#synchronous = synchronous;
    }
    const results = await this.#db.batch(
      group.flatMap((w) => w.statements),
      'write',
    );
    let at = 0;
    for (const write of group) {
      write.resolve(results.slice(at, at + write.statements.length));
      at += write.statements.length;
    }
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
