// The repository: every read and write of control-plane state, over Postgres or PGlite, behind one interface.
import { AccessStore } from './access-store.ts';
import { AgentsStore } from './agents-store.ts';
import { ConcurrencyStore } from './concurrency-store.ts';
import type { Connection, Db } from './connection.ts';
import { ExecutionsStore } from './executions-store.ts';
import { FlowsStore } from './flows-store.ts';
import { JobsStore } from './jobs-store.ts';
import { LogsStore } from './logs-store.ts';
import { connectPglite } from './pglite.ts';
import { connectPostgres } from './postgres.ts';
import { QueueStore } from './queue-store.ts';
import { TokensStore } from './tokens-store.ts';

export class Repository {
  readonly flows: FlowsStore;
  readonly executions: ExecutionsStore;
  readonly jobs: JobsStore;
  readonly queue: QueueStore;
  readonly logs: LogsStore;
  readonly agents: AgentsStore;
  readonly access: AccessStore;
  readonly tokens: TokensStore;
  readonly concurrency: ConcurrencyStore;

  constructor(private readonly db: Db) {
    this.flows = new FlowsStore(db);
    this.executions = new ExecutionsStore(db);
    this.jobs = new JobsStore(db);
    this.queue = new QueueStore(db);
    this.logs = new LogsStore(db);
    this.agents = new AgentsStore(db);
    this.access = new AccessStore(db);
    this.tokens = new TokensStore(db);
    this.concurrency = new ConcurrencyStore(db);
  }

  /** Runs `work` in one transaction; everything it writes commits together or not at all. */
  transaction<T>(work: (tx: Repository) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new Repository(tx as unknown as Db)));
  }
}

export interface Database {
  readonly repository: Repository;
  readonly connection: Connection;
}

/** Opens Postgres when a URL is given, else embedded PGlite in `dataDir` (in memory without one). */
export async function openDatabase(options: { url?: string; dataDir?: string }): Promise<Database> {
  const connection = options.url
    ? await connectPostgres({ url: options.url })
    : await connectPglite(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  return { connection, repository: new Repository(connection.db) };
}

export type { ApiTokenRow, SessionRow, UserRow } from './access-store.ts';
export {
  AGENTS_CHANNEL,
  type AgentNotice,
  type AgentRow,
  GROUPS_CHANNEL,
  parseAgentNotice,
  type WorkerGroupRow,
} from './agents-store.ts';
export type { Connection, Unlisten } from './connection.ts';
export type {
  ExecutionPatch,
  ExecutionRow,
  NewExecution,
  NewTaskRun,
  TaskRunPatch,
  TaskRunRow,
} from './executions-store.ts';
export type { FlowRow } from './flows-store.ts';
export { JOBS_CHANNEL, type JobRow, type LeaseRequest, type NewJob, PROCESS_INSTANCE } from './jobs-store.ts';
export type { LogQuery, LogRow, NewLog } from './logs-store.ts';
export { parseQueueNotice, QUEUE_CHANNEL, type QueueRow } from './queue-store.ts';
export type { Attempt, StateHistory } from './schema.ts';
export type { NewRegistrationToken, RegistrationTokenRow } from './tokens-store.ts';
export { connectPglite, connectPostgres };
