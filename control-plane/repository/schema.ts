// Drizzle schema of every table the control plane keeps in Postgres (and PGlite). Migrations are generated from it.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { State } from '../../protocol/states.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** One row per flow revision; the source YAML is kept verbatim. */
export const flows = pgTable(
  'flows',
  {
    namespace: text('namespace').notNull(),
    flowId: text('flow_id').notNull(),
    revision: integer('revision').notNull(),
    source: text('source').notNull(),
    /** the parsed flow document, as JSON */
    document: jsonb('document').notNull(),
    deleted: boolean('deleted').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.flowId, t.revision] })],
);

export type StateHistory = { state: string; date: string };

export const executions = pgTable(
  'executions',
  {
    id: text('id').primaryKey(),
    namespace: text('namespace').notNull(),
    flowId: text('flow_id').notNull(),
    flowRevision: integer('flow_revision').notNull(),
    state: text('state').$type<State>().notNull(),
    histories: jsonb('histories').$type<StateHistory[]>().notNull(),
    inputs: jsonb('inputs').$type<Record<string, unknown>>().notNull(),
    outputs: jsonb('outputs').$type<Record<string, unknown>>(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    trigger: jsonb('trigger').$type<Record<string, unknown>>(),
    parentId: text('parent_id'),
    /** the first execution of a chain of replays and retries (Kestra's originalId); null: this one */
    originalId: text('original_id'),
    /** which attempt of the flow this execution is (a retry with CREATE_NEW_EXECUTION makes the next) */
    attemptNumber: integer('attempt_number').notNull().default(1),
    /** when the first attempt of this chain of retries was created (Kestra's originalCreatedDate); null: this one */
    originalStartDate: ts('original_start_date'),
    error: jsonb('error').$type<{ message: string; code?: string }>(),
    /** bumped on every change, so a cached copy of the execution can tell it is stale */
    version: integer('version').notNull().default(1),
    startDate: ts('start_date').notNull(),
    endDate: ts('end_date'),
  },
  (t) => [
    index('executions_flow_idx').on(t.namespace, t.flowId, t.startDate),
    index('executions_queued_idx').on(t.namespace, t.flowId, t.startDate, t.id).where(sql`state = 'QUEUED'`),
  ],
);

/**
 * The slots of a flow with a `concurrency` limit that executions hold now (one row per flow). An
 * execution takes a slot when it starts and gives it back when it ends, each time with this row locked.
 */
export const flowConcurrency = pgTable(
  'flow_concurrency',
  {
    namespace: text('namespace').notNull(),
    flowId: text('flow_id').notNull(),
    running: integer('running').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.flowId] })],
);

export type Attempt = {
  state: string;
  startDate: string;
  endDate?: string;
  agentId?: string;
  error?: { message: string; code?: string };
};

/** One row per task run (one per loop iteration); attempts are kept inside the row. */
export const taskRuns = pgTable(
  'task_runs',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id').notNull(),
    parentTaskRunId: text('parent_task_run_id'),
    taskId: text('task_id').notNull(),
    value: text('value'),
    state: text('state').$type<State>().notNull(),
    histories: jsonb('histories').$type<StateHistory[]>().notNull(),
    attempts: jsonb('attempts').$type<Attempt[]>().notNull(),
    outputs: jsonb('outputs').$type<Record<string, unknown>>(),
    /** small per-run bookkeeping of the executor (e.g. which branch an If took) */
    meta: jsonb('meta').$type<Record<string, unknown>>(),
    startDate: ts('start_date').notNull(),
    endDate: ts('end_date'),
    /**
     * The id of the transaction that last wrote the row, set by a trigger on every insert and update
     * (migration 0002), whatever the writer. The executor re-reads only the rows written since the
     * snapshot of its previous read (see `ExecutionsStore.taskRunsSince`).
     */
    writtenXid: bigint('written_xid', { mode: 'number' })
      .notNull()
      .default(sql`(pg_current_xact_id()::text)::bigint`),
  },
  (t) => [index('task_runs_execution_idx').on(t.executionId, t.writtenXid)],
);

/** The dispatch queue: one row per runnable task run, leased to one agent at a time. */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    executionId: text('execution_id').notNull(),
    taskRunId: text('task_run_id').notNull(),
    attempt: integer('attempt').notNull().default(1),
    /** queued | leased | done */
    state: text('state').notNull(),
    /** worker group key; null = the default group */
    workerGroup: text('worker_group'),
    slots: integer('slots').notNull().default(1),
    offline: boolean('offline').notNull().default(false),
    payload: jsonb('payload')
      .$type<{
        task: Record<string, unknown>;
        context: Record<string, unknown>;
        /** a child of a WorkingDirectory: the shared directory it runs in (see protocol Job) */
        workingDirectory?: { id: string; last: boolean; inputFiles?: unknown; outputFiles?: unknown };
      }>()
      .notNull(),
    agentId: text('agent_id'),
    /** only this agent may take the job: the agent that runs its WorkingDirectory */
    pinnedAgentId: text('pinned_agent_id'),
    leaseUntil: ts('lease_until'),
    /** how many attempts were lost with their agent */
    agentLost: integer('agent_lost').notNull().default(0),
    /** what happens when no live agent of the group exists: WAIT | FAIL | CANCEL */
    fallback: text('fallback').notNull().default('WAIT'),
    /** when WAIT ends for a job no agent of its group can take (null = wait forever) */
    waitUntil: ts('wait_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('jobs_queued_idx').on(t.workerGroup, t.createdAt).where(sql`state = 'queued'`),
    index('jobs_leased_idx').on(t.leaseUntil).where(sql`state = 'leased'`),
    index('jobs_agent_idx').on(t.agentId).where(sql`state = 'leased'`),
  ],
);

export const logs = pgTable(
  'logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    executionId: text('execution_id').notNull(),
    taskRunId: text('task_run_id'),
    taskId: text('task_id'),
    attempt: integer('attempt'),
    jobId: text('job_id'),
    /** chunk number and line within it, for idempotent storage of replayed chunks */
    seq: integer('seq'),
    line: integer('line'),
    level: text('level').notNull(),
    message: text('message').notNull(),
    ts: ts('ts').notNull(),
  },
  (t) => [
    index('logs_execution_idx').on(t.executionId, t.id),
    uniqueIndex('logs_chunk_line_idx').on(t.jobId, t.attempt, t.seq, t.line),
    index('logs_message_fts_idx').using('gin', sql`to_tsvector('simple', ${t.message})`),
  ],
);

/** Messages between components; claimed with FOR UPDATE SKIP LOCKED, announced with NOTIFY. */
export const queue = pgTable(
  'queue',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    key: text('key'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    availableAt: ts('available_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('queue_topic_idx').on(t.topic, t.availableAt, t.id)],
);

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  labels: jsonb('labels').$type<Record<string, string>>().notNull(),
  slots: integer('slots').notNull(),
  /** online | offline */
  state: text('state').notNull(),
  sessionId: text('session_id'),
  agentVersion: text('agent_version'),
  maintenance: boolean('maintenance').notNull().default(false),
  /** put in maintenance by an operator: no new work, whatever the agent says */
  adminMaintenance: boolean('admin_maintenance').notNull().default(false),
  lastSeen: ts('last_seen').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** scrypt hash of the agent's own credential; null for agents that use the shared secret */
  credentialHash: text('credential_hash'),
  /** a credential sent to the agent over its live connection, valid beside the old one until it acks */
  pendingCredentialHash: text('pending_credential_hash'),
  /** the registration token it enrolled with */
  tokenId: text('token_id'),
  /** set when revoked: the agent is refused from then on */
  revokedAt: ts('revoked_at'),
});

/** Registration tokens: an admin hands one to a host, which trades it for a per-agent credential. */
export const registrationTokens = pgTable('registration_tokens', {
  id: text('id').primaryKey(),
  /** SHA-256 of the token's secret part (the secret is random, so no slow hash is needed) */
  secretHash: text('secret_hash').notNull(),
  description: text('description'),
  /** labels every agent enrolled with it gets; the most it may claim */
  labels: jsonb('labels').$type<Record<string, string>>().notNull(),
  /** worker group keys it enrols into (their selectors are part of `labels`) */
  groups: jsonb('groups').$type<string[]>().notNull(),
  /** whether an agent may add labels the token does not name */
  allowExtraLabels: boolean('allow_extra_labels').notNull().default(false),
  expiresAt: ts('expires_at'),
  maxUses: integer('max_uses'),
  uses: integer('uses').notNull().default(0),
  revokedAt: ts('revoked_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const workerGroups = pgTable('worker_groups', {
  key: text('key').primaryKey(),
  selector: jsonb('selector').$type<Record<string, string>>().notNull(),
  description: text('description'),
  /** tasks of this group are offline-capable unless they say `offline: false` */
  offline: boolean('offline').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Heartbeats of running control-plane components, for scale-out and the UI. */
export const serviceInstances = pgTable('service_instances', {
  id: text('id').primaryKey(),
  component: text('component').notNull(),
  hostname: text('hostname').notNull(),
  pid: integer('pid').notNull(),
  state: text('state').notNull(),
  startedAt: ts('started_at').notNull(),
  heartbeatAt: ts('heartbeat_at').notNull(),
});

/** API tokens for the REST API and the CLI; only a SHA-256 hash of the secret is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** viewer | operator | admin */
    role: text('role').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    /** null = never expires */
    expiresAt: ts('expires_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash), uniqueIndex('api_tokens_name_idx').on(t.name)],
);

/** People who log in to the UI; the password is kept as an scrypt hash with its parameters and salt. */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  /** viewer | operator | admin */
  role: text('role').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** UI sessions: the cookie holds a random secret, this table its SHA-256 hash. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [uniqueIndex('sessions_secret_idx').on(t.secretHash), index('sessions_user_idx').on(t.userId)],
);
