// The durable agent buffer on libSQL: one local file, WAL journal. Writes issued in the same turn of the
// event loop commit together (group commit: with several slots busy, the jobs that arrive or finish
// together share one commit). Every commit survives a crash of the agent's process. What a crash of the
// host may take depends on the write:
// - a job accepted, marked running, an acknowledgement: NORMAL (no fsync). Lost with the host, work is
//   repeated, never lost: a job missing from the next hello is queued again by the control plane, one
//   that looks not started runs again, a message not marked acknowledged is sent again.
// - a result or a log chunk: NORMAL, then synced (a FULL commit, which puts every commit before it on
//   disk too) within SYNC_AFTER_MS. Online, the control plane has usually stored and acknowledged it
//   long before; the sync is for an agent that is cut off, whose outbox holds work done that nobody
//   else has. So the host may take at most the last SYNC_AFTER_MS of results with it, and the jobs
//   they finished run again (or fail as interrupted, by their retry policy), as after any crash.
// - anything else (a job dropped or removed): FULL.
// At most one fsync per SYNC_AFTER_MS for results instead of one per result: an fsync blocks the
// agent's event loop (the engine is synchronous), 1.5 to 2 ms a time on the test host.
// It uses libSQL's engine (`libsql`, better-sqlite3's API) rather than `@libsql/client`: the client
// prepares every statement again on each call, BEGIN and COMMIT included, and probes each for rows by
// catching an exception; with a handful of fixed statements per job that was most of the agent's CPU
// per job. Here each statement is prepared once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
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
  // one row, counting syncs: a sync needs a write to commit, and this is the write when nothing else is
  'CREATE TABLE IF NOT EXISTS syncs (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)',
];

/** How long a result or log chunk may stay committed but not yet synced to disk. */
export const SYNC_AFTER_MS = 50;

// The statements, fixed text with bound parameters; nothing is built from values.
const SQL = {
  putJob: 'INSERT INTO inbox (job_id, attempt, state, job) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  getJob: 'SELECT job, state, log_chunks FROM inbox WHERE job_id = ? AND attempt = ?',
  setState: 'UPDATE inbox SET state = ? WHERE job_id = ? AND attempt = ?',
  held: 'SELECT job, state, log_chunks FROM inbox WHERE state IN (?, ?) ORDER BY seq',
  unsettled: 'SELECT job, state, log_chunks FROM inbox WHERE state <> ? ORDER BY seq',
  acknowledge:
    'UPDATE inbox SET state = ?, seq = (SELECT max(seq) + 1 FROM inbox) WHERE job_id = ? AND attempt = ?',
  pruneAcknowledged: `DELETE FROM inbox WHERE state = ? AND seq <= (
    SELECT seq FROM inbox WHERE state = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
  removeJob: 'DELETE FROM inbox WHERE job_id = ? AND attempt = ?',
  forgetOutbox: 'DELETE FROM outbox WHERE key = ? OR substr(key, 1, ?) = ?',
  putOutbox: 'INSERT INTO outbox (key, kind, message) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  countChunk: 'UPDATE inbox SET log_chunks = max(log_chunks, ?) WHERE job_id = ? AND attempt = ?',
  pending: 'SELECT key, kind, message FROM outbox ORDER BY seq',
  outboxSize: 'SELECT count(*) AS n FROM outbox',
  removeOutbox: 'DELETE FROM outbox WHERE key = ?',
  sync: 'INSERT INTO syncs (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1',
  syncs: 'SELECT n FROM syncs WHERE id = 1',
} as const;

type Row = Record<string, unknown>;
type Value = string | number | null;
type Db = InstanceType<typeof Database>;

/** A statement of SQL (fixed text) and its arguments. */
interface InStatement {
  sql: string;
  args: Value[];
}

/** What a write statement did. */
interface WriteResult {
  rowsAffected: number;
}

function toEntry(row: Row): InboxEntry {
  return {
    job: JSON.parse(String(row.job)) as Job,
    state: String(row.state) as InboxState,
    logChunks: Number(row.log_chunks),
  };
}

/**
 * How durable a write is once its promise resolves: `synced` (on disk), `soon` (committed, on disk
 * within SYNC_AFTER_MS), `committed` (committed; on disk with the next sync).
 */
type Durability = 'synced' | 'soon' | 'committed';

/** Writes waiting for the next group commit. */
interface PendingWrite {
  statements: InStatement[];
  durability: Durability;
  resolve: (results: WriteResult[]) => void;
  reject: (error: unknown) => void;
}

type Synchronous = 'FULL' | 'NORMAL';

export class LibsqlBuffer implements AgentBuffer {
  readonly #db: Db;
  readonly #statements = new Map<string, ReturnType<Db['prepare']>>();
  readonly #retained: number;
  #pending: PendingWrite[] = [];
  #flushing: Promise<void> | undefined;
  #synchronous: Synchronous = 'FULL';
  /** `soon` writes are committed but not on disk yet */
  #unsynced = false;
  /** the sync that will put them there */
  #syncTimer: NodeJS.Timeout | undefined;

  private constructor(db: Db, retained: number) {
    this.#db = db;
    this.#retained = retained;
  }

  /** Opens (creating if needed) the buffer file at `path`. */
  static async open(path: string, options: { acknowledgedRetained?: number } = {}): Promise<LibsqlBuffer> {
    mkdirSync(dirname(path), { recursive: true });
    // One connection: the PRAGMAs below are per connection, and every call runs to completion anyway.
    const db = new Database(path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.transaction(() => {
        for (const statement of SCHEMA) db.exec(statement);
      })();
    } catch (error) {
      db.close();
      throw error;
    }
    return new LibsqlBuffer(db, options.acknowledgedRetained ?? ACKNOWLEDGED_RETAINED);
  }

  async putJob(job: Job): Promise<boolean> {
    // lost with the host, the job is missing from the next hello, and the control plane queues it again
    const [rs] = await this.#write(
      [{ sql: SQL.putJob, args: [job.jobId, job.attempt, InboxState.accepted, JSON.stringify(job)] }],
      'committed',
    );
    return rs!.rowsAffected === 1;
  }

  async getJob(ref: JobRef): Promise<InboxEntry | undefined> {
    const [row] = this.#read(SQL.getJob, [ref.jobId, ref.attempt]);
    return row && toEntry(row);
  }

  async markRunning(ref: JobRef): Promise<void> {
    // lost with the host, the job looks not started and runs again after a restart: at least once
    await this.#write([this.#setState(ref, InboxState.running)], 'committed');
  }

  async markFinished(ref: JobRef): Promise<void> {
    await this.#write([this.#setState(ref, InboxState.finished)]);
  }

  async heldJobs(): Promise<InboxEntry[]> {
    return this.#read(SQL.held, [InboxState.accepted, InboxState.running]).map(toEntry);
  }

  async unsettledJobs(): Promise<InboxEntry[]> {
    return this.#read(SQL.unsettled, [InboxState.acknowledged]).map(toEntry);
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
    await this.#write(this.#chunkStatements(chunk), 'soon');
  }

  async finishJob(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void> {
    const statements: InStatement[] = finalChunk ? this.#chunkStatements(finalChunk) : [];
    statements.push(
      { sql: SQL.putOutbox, args: [resultKey(ref.jobId, ref.attempt), 'result', JSON.stringify(result)] },
      this.#setState(ref, InboxState.finished),
    );
    await this.#write(statements, 'soon');
  }

  async pendingOutbox(): Promise<OutboxEntry[]> {
    return this.#read(SQL.pending, []).map((row) => ({
      key: String(row.key),
      kind: String(row.kind),
      message: JSON.parse(String(row.message)),
    })) as OutboxEntry[];
  }

  async outboxSize(): Promise<number> {
    return Number(this.#read(SQL.outboxSize, [])[0]?.n ?? 0);
  }

  async removeOutbox(key: string): Promise<boolean> {
    // lost with the host, the message is sent again, and the control plane stores it once
    const [rs] = await this.#write([{ sql: SQL.removeOutbox, args: [key] }], 'committed');
    return rs!.rowsAffected > 0;
  }

  async acknowledgeResult(ref: JobRef): Promise<void> {
    const { acknowledged } = InboxState;
    // lost with the host, the result is sent again and the control plane acknowledges it again
    await this.#write(
      [
        { sql: SQL.removeOutbox, args: [resultKey(ref.jobId, ref.attempt)] },
        { sql: SQL.acknowledge, args: [acknowledged, ref.jobId, ref.attempt] },
        { sql: SQL.pruneAcknowledged, args: [acknowledged, acknowledged, this.#retained] },
      ],
      'committed',
    );
  }

  /** How many syncs this buffer file has had for lack of another write (see SYNC_AFTER_MS). */
  async syncCount(): Promise<number> {
    return Number(this.#read(SQL.syncs, [])[0]?.n ?? 0);
  }

  /** Commits what is queued, syncs what is not on disk yet, and closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#unsynced && this.#db.open) await this.#sync();
    clearTimeout(this.#syncTimer);
    if (this.#db.open) this.#db.close();
  }

  #sync(): Promise<WriteResult[]> {
    return this.#write([{ sql: SQL.sync, args: [] }], 'synced');
  }

  /** Queues statements for the next group commit; resolves with their results once it has committed. */
  #write(statements: InStatement[], durability: Durability = 'synced'): Promise<WriteResult[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ statements, durability, resolve, reject });
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
    const synced = group.some((w) => w.durability === 'synced');
    const synchronous = synced ? 'FULL' : 'NORMAL';
    if (synchronous !== this.#synchronous) {
      this.#db.exec(`PRAGMA synchronous = ${synchronous}`);
      this.#synchronous = synchronous;
    }
    const results: WriteResult[] = [];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const { sql, args } of group.flatMap((w) => w.statements))
        results.push({ rowsAffected: this.#statement(sql).run(args).changes });
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
    if (synced) {
      // a FULL commit puts every commit before it on disk too
      this.#unsynced = false;
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    } else if (group.some((w) => w.durability === 'soon')) {
      this.#unsynced = true;
      this.#syncTimer ??= setTimeout(() => {
        this.#syncTimer = undefined;
        // if it fails, the next result or log chunk sets another; close() syncs too
        if (this.#unsynced) this.#sync().catch(() => {});
      }, SYNC_AFTER_MS).unref();
    }
    let at = 0;
    for (const write of group) {
      write.resolve(results.slice(at, at + write.statements.length));
      at += write.statements.length;
    }
  }

  /** The statement of `sql`, prepared on first use. */
  #statement(sql: string) {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #read(sql: string, args: Value[]): Row[] {
    return this.#statement(sql).all(args) as Row[];
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
