// The dispatch queue: runnable task runs waiting for an agent, leased to one agent at a time with attempt fencing.
import { and, asc, eq, inArray, isNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import { newId } from '../../protocol/ids.ts';
import type { Db } from './connection.ts';
import { recordsetInsert, rowMapper, rowsOf } from './raw.ts';
import { jobs, workerGroups } from './schema.ts';

export type JobRow = typeof jobs.$inferSelect;
/** What completing a job returns: enough to record its result, without its payload to parse. */
export type CompletedJob = Pick<
  JobRow,
  'id' | 'executionId' | 'taskRunId' | 'attempt' | 'slots' | 'agentId' | 'state'
>;
export type NewJob = typeof jobs.$inferInsert;

/** What the dispatcher knows of an agent when it asks for work. */
export interface LeaseRequest {
  agentId: string;
  /** keys of the worker groups the agent belongs to */
  groups: string[];
  /** whether the agent belongs to the default group (no `group` label) */
  inDefaultGroup: boolean;
  freeSlots: number;
  /** the agent's slots: no job heavier than that, even when its free slots count jobs held ready */
  maxJobSlots?: number;
  leaseUntil: Date;
  /** jobs this agent refused: not offered to it again */
  exclude?: string[];
  /** only offline-capable jobs (a prefetch beyond the agent's free slots) */
  offlineOnly?: boolean;
  /**
   * jobs to hold ready beyond the agent's slots: only the head of the queue, as long as it is more of
   * the same work (this execution, these tasks) that the agent has just finished quickly (leaseNextMany)
   */
  ready?: { executionId: string; taskIds: readonly string[] };
}

/** The NOTIFY channel on which new queued jobs are announced to dispatchers in other processes. */
export const JOBS_CHANNEL = 'roost_jobs';

/** Sent as the NOTIFY payload, so a dispatcher can ignore jobs its own process already told it about. */
export const PROCESS_INSTANCE = newId();

const toJob = rowMapper<JobRow>(jobs);

const COMPLETED = sql.raw('j.id, j.execution_id, j.task_run_id, j.attempt, j.slots, j.agent_id, j.state');

function toCompleted(row: Record<string, unknown>): CompletedJob {
  return {
    id: String(row.id),
    executionId: String(row.execution_id),
    taskRunId: String(row.task_run_id),
    attempt: Number(row.attempt),
    slots: Number(row.slots),
    agentId: row.agent_id === null ? null : String(row.agent_id),
    state: String(row.state),
  };
}

/** The queued jobs `request`'s agent may be leased (false when it is in no group at all). */
function leasable(request: LeaseRequest) {
  const groupMatch = [];
  if (request.groups.length) groupMatch.push(inArray(jobs.workerGroup, request.groups));
  if (request.inDefaultGroup) groupMatch.push(isNull(jobs.workerGroup));
  if (!groupMatch.length || request.freeSlots < 1) return sql`false`;
  return and(
    eq(jobs.state, 'queued'),
    lte(jobs.slots, Math.min(request.freeSlots, request.maxJobSlots ?? request.freeSlots)),
    or(...groupMatch),
    request.exclude?.length ? notInArray(jobs.id, request.exclude) : undefined,
    request.offlineOnly ? eq(jobs.offline, true) : undefined,
    or(isNull(jobs.pinnedAgentId), eq(jobs.pinnedAgentId, request.agentId)),
  );
}

/** Whether a candidate job is the work `ready` names (any job, without it). */
function sameWork(ready: LeaseRequest['ready']) {
  if (!ready) return sql`true`;
  return sql`execution_id = ${ready.executionId}
    and task_id = any(array(select jsonb_array_elements_text(${JSON.stringify(ready.taskIds)}::jsonb)))`;
}

/** A job's `offline` when it leaves it out: its worker group's default, false without one. */
const OFFLINE_DEFAULT = {
  offline: sql`coalesce(r.offline, (select ${workerGroups.offline} from ${workerGroups}
    where ${workerGroups.key} = r.worker_group), false)`,
};

/**
 * The CTE `started` that starts a RUNNING attempt of `agentId` on the task run of each job in the CTE
 * `leased`, as ExecutionsStore.startAttempt does for one.
 */
function startingAttempts(agentId: string, now: Date) {
  const at = now.toISOString();
  const running = JSON.stringify([{ state: 'RUNNING', date: at }]);
  const attempt = JSON.stringify({ state: 'RUNNING', startDate: at, agentId });
  return sql`started as (
          update task_runs t set
            attempts = t.attempts || jsonb_build_array(${attempt}::jsonb),
            histories = case when t.state = 'RUNNING' then t.histories else t.histories || ${running}::jsonb end,
            state = 'RUNNING'
          from leased where t.id = leased.task_run_id)`;
}

export class JobsStore {
  constructor(private readonly db: Db) {}

  /**
   * Queues jobs; dispatchers elsewhere hear of them when the transaction commits. A job whose `offline`
   * is left out takes its declared worker group's default (false without one), read in the same statement
   * (as is the notice, so that queueing jobs costs one round trip).
   */
  async insert(rows: NewJob[]): Promise<void> {
    // rows set different columns only in `offline`, which the expression covers
    const insert = recordsetInsert(jobs, rows, OFFLINE_DEFAULT);
    if (!insert) return;
    await this.db.execute(
      sql`with inserted as (${insert}) select pg_notify(${JOBS_CHANNEL}, ${PROCESS_INSTANCE})`,
    );
  }

  async get(id: string): Promise<JobRow | undefined> {
    const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  }

  /** Leases the oldest queued job the agent may take, skipping jobs other dispatchers are leasing. */
  async leaseNext(request: LeaseRequest): Promise<JobRow | undefined> {
    const candidate = this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(leasable(request))
      .orderBy(asc(jobs.createdAt), asc(jobs.id))
      .limit(1)
      .for('update', { skipLocked: true });
    const [row] = await this.db
      .update(jobs)
      .set({ state: 'leased', agentId: request.agentId, leaseUntil: request.leaseUntil })
      .where(inArray(jobs.id, candidate))
      .returning();
    return row;
  }

  /**
   * Leases the oldest queued jobs the agent may take, as many as fit its free slots, and starts a
   * RUNNING attempt on each one's task run (as ExecutionsStore.startAttempt does), all in one statement:
   * the longest run of jobs, in queue order, whose slots add up to no more (a heavier job that does not
   * fit ends the run; the next call may take what follows). Oldest first. With `ready`, the run also
   * ends at the first job of another execution or task: jobs held ready never jump the queue.
   */
  async leaseNextMany(request: LeaseRequest, now: Date): Promise<JobRow[]> {
    if (request.freeSlots < 1) return [];
    const rows = await rowsOf(
      this.db,
      sql`with candidates as (
          select id, slots, created_at, execution_id, payload->'task'->>'id' as task_id from jobs
          where ${leasable(request)}
          order by created_at, id limit ${request.freeSlots} for update skip locked),
        fitting as (
          select id from (
            select id, sum(slots) over w as total, bool_and(${sameWork(request.ready)}) over w as same
            from candidates window w as (order by created_at, id)) c
          where total <= ${request.freeSlots} and same),
        leased as (
          update jobs set state = 'leased', agent_id = ${request.agentId},
            lease_until = ${request.leaseUntil.toISOString()}::timestamptz
          where id in (select id from fitting)
          returning *),
        ${startingAttempts(request.agentId, now)}
        select * from leased`,
    );
    return rows
      .map(toJob)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  /** Queued jobs only `agentId` may take (children of a WorkingDirectory it runs). */
  async queuedPinnedTo(agentId: string): Promise<JobRow[]> {
    return this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.state, 'queued'), eq(jobs.pinnedAgentId, agentId)));
  }

  /**
   * Leases one given job, if it is still queued (and not pinned to another agent), and starts a RUNNING
   * attempt on its task run, in one statement (as leaseNextMany does).
   */
  async leaseById(id: string, agentId: string, leaseUntil: Date, now: Date): Promise<JobRow | undefined> {
    const [row] = await rowsOf(
      this.db,
      sql`with leased as (
          update jobs set state = 'leased', agent_id = ${agentId},
            lease_until = ${leaseUntil.toISOString()}::timestamptz
          where id = ${id} and state = 'queued' and (pinned_agent_id is null or pinned_agent_id = ${agentId})
          returning *),
        ${startingAttempts(agentId, now)}
        select * from leased`,
    );
    return row && toJob(row);
  }

  /**
   * Ends the lease of (job, attempt) held by `agentId`. Returns undefined when that agent does not
   * hold that attempt (late, duplicate or forged result): the fencing check.
   */
  async complete(jobId: string, attempt: number, agentId: string): Promise<CompletedJob | undefined> {
    const [row] = await rowsOf(
      this.db,
      sql`update jobs j set state = 'done', lease_until = null
        where id = ${jobId} and attempt = ${attempt} and agent_id = ${agentId} and state = 'leased'
        returning ${COMPLETED}`,
    );
    return row && toCompleted(row);
  }

  /** `complete` for several results in one statement; each answer at its result's index. */
  async completeMany(
    results: readonly { jobId: string; attempt: number; agentId: string }[],
  ): Promise<(CompletedJob | undefined)[]> {
    if (!results.length) return [];
    if (results.length === 1) {
      const [{ jobId, attempt, agentId }] = results as [(typeof results)[number]];
      return [await this.complete(jobId, attempt, agentId)];
    }
    const refs = results.map((r) => ({ id: r.jobId, attempt: r.attempt, agent_id: r.agentId }));
    const rows = await rowsOf(
      this.db,
      sql`update jobs j set state = 'done', lease_until = null
        from jsonb_to_recordset(${JSON.stringify(refs)}::jsonb) as r(id text, attempt integer, agent_id text)
        where j.id = r.id and j.attempt = r.attempt and j.agent_id = r.agent_id and j.state = 'leased'
        returning ${COMPLETED}`,
    );
    const done = new Map(rows.map((row) => [String(row.id), toCompleted(row)]));
    // a result sent twice in one batch completes its job once: the first of them gets the row
    return results.map((r) => {
      const job = done.get(r.jobId);
      if (!job || job.attempt !== r.attempt || job.agentId !== r.agentId) return undefined;
      done.delete(r.jobId);
      return job;
    });
  }

  /** Extends the leases the agent still holds among `refs`; returns those it holds. */
  async renew(
    agentId: string,
    refs: { jobId: string; attempt: number }[],
    leaseUntil: Date,
  ): Promise<JobRow[]> {
    if (!refs.length) return [];
    const rows = await this.db
      .update(jobs)
      .set({ leaseUntil })
      .where(
        and(
          eq(jobs.agentId, agentId),
          eq(jobs.state, 'leased'),
          inArray(
            jobs.id,
            refs.map((r) => r.jobId),
          ),
        ),
      )
      .returning();
    return rows.filter((row) => refs.some((r) => r.jobId === row.id && r.attempt === row.attempt));
  }

  /** Leased jobs of one agent, locked for the caller to release. */
  async leasedBy(agentId: string): Promise<JobRow[]> {
    return this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.agentId, agentId), eq(jobs.state, 'leased')))
      .for('update', { skipLocked: true });
  }

  /**
   * Leased jobs whose lease ran out before `now`, locked for the caller to release. The lease of an
   * offline-capable job runs `offlineGraceMs` longer: its agent may be finishing it cut off.
   */
  async expired(now: Date, offlineGraceMs = 0, limit = 100): Promise<JobRow[]> {
    const offlineUntil = new Date(now.getTime() - offlineGraceMs);
    return this.db
      .select()
      .from(jobs)
      .where(
        and(
          eq(jobs.state, 'leased'),
          or(
            and(eq(jobs.offline, false), lt(jobs.leaseUntil, now)),
            and(eq(jobs.offline, true), lt(jobs.leaseUntil, offlineUntil)),
          ),
        ),
      )
      .limit(limit)
      .for('update', { skipLocked: true });
  }

  /** Puts a job back in the queue as its next attempt. */
  async requeue(id: string, patch: { attempt: number; agentLost: number }): Promise<void> {
    await this.db
      .update(jobs)
      .set({ state: 'queued', agentId: null, leaseUntil: null, ...patch })
      .where(eq(jobs.id, id));
  }

  /**
   * Takes back a job `agentId` held but never started (it waited there for a slot, and the agent gave it
   * back): queued again as the same attempt, and that attempt's start undone on its task run (the
   * attempt removed, and the RUNNING entry its lease added to the history, with the state before it).
   * Fenced like a result: undefined unless `agentId` holds that attempt's lease.
   */
  async giveBack(jobId: string, attempt: number, agentId: string): Promise<JobRow | undefined> {
    // the lease wrote the attempt's startDate and its RUNNING history entry's date from one clock reading
    const addedRunning = sql`jsonb_array_length(t.histories) > 1 and t.histories -> -1 ->> 'state' = 'RUNNING'
      and t.histories -> -1 ->> 'date' = t.attempts -> -1 ->> 'startDate'`;
    const [row] = await rowsOf(
      this.db,
      sql`with returned as (
          update jobs set state = 'queued', agent_id = null, lease_until = null
          where id = ${jobId} and attempt = ${attempt} and agent_id = ${agentId} and state = 'leased'
          returning *),
        undone as (
          update task_runs t set
            attempts = t.attempts - (jsonb_array_length(t.attempts) - 1),
            histories = case when ${addedRunning}
              then t.histories - (jsonb_array_length(t.histories) - 1) else t.histories end,
            state = case when ${addedRunning} then t.histories -> -2 ->> 'state' else t.state end
          from returned r
          where t.id = r.task_run_id and jsonb_array_length(t.attempts) > 0
            and t.attempts -> -1 ->> 'state' = 'RUNNING' and t.attempts -> -1 ->> 'agentId' = ${agentId})
        select * from returned`,
    );
    return row && toJob(row);
  }

  /** Ends a job without a result from its agent (lost, no agent, killed); no agent can deliver one any more. */
  async finish(id: string): Promise<void> {
    await this.db.update(jobs).set({ state: 'done', leaseUntil: null, agentId: null }).where(eq(jobs.id, id));
  }

  /**
   * Ends the queued or leased jobs of these task runs (killed, timed out). The agent id stays on the row
   * so that the agent can be told; its late result is refused since the job is no longer leased.
   */
  async stopForTaskRuns(taskRunIds: string[]): Promise<JobRow[]> {
    if (!taskRunIds.length) return [];
    return this.db
      .update(jobs)
      .set({ state: 'done', leaseUntil: null })
      .where(and(inArray(jobs.taskRunId, taskRunIds), inArray(jobs.state, ['queued', 'leased'])))
      .returning();
  }

  /**
   * Locks the queued and leased jobs of these task runs until the transaction ends, waiting for a lease
   * being granted on one of them to commit. Lock a job before its task run, as the dispatcher does.
   */
  async lockOpenForTaskRuns(taskRunIds: string[]): Promise<void> {
    if (!taskRunIds.length) return;
    await this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(inArray(jobs.taskRunId, taskRunIds), inArray(jobs.state, ['queued', 'leased'])))
      .for('update');
  }

  /** Queued jobs whose wait for an agent of their group has run out. */
  async waitExpired(now: Date, limit = 100): Promise<JobRow[]> {
    return this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.state, 'queued'), lt(jobs.waitUntil, now)))
      .limit(limit)
      .for('update', { skipLocked: true });
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ state: jobs.state, count: sql<number>`count(*)::int` })
      .from(jobs)
      .groupBy(jobs.state);
    return Object.fromEntries(rows.map((r) => [r.state, r.count]));
  }
}
