// How agents' results are recorded: each in a transaction that also takes the executor's decision and
// leases the agent its next jobs. Results of one execution that arrive while its transaction runs wait
// for it, then go together in the next one: one lock, one decision and one commit for the whole burst,
// where one each would queue on the execution's row lock.
import type { Result } from '../../protocol/index.ts';
import type { ExecutorMessage, Submitted } from '../executor/index.ts';
import type { JobRow, Repository } from '../repository/index.ts';
import type { Dispatcher } from './dispatcher.ts';
import { type ReadyWork, releaseHolds, type SlotHold } from './leasing.ts';
import type { AgentSession } from './sessions.ts';

/** The most results one transaction records; more wait for the next. */
export const MAX_RESULTS_PER_COMMIT = 64;

interface Pending {
  agentId: string;
  result: Result;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Recorded {
  /** per pending result: whether it was accepted (a duplicate of an accepted one counts as accepted) */
  accepted: boolean[];
  submitted: Submitted | undefined;
  leased: { session: AgentSession; jobs: JobRow[] }[];
}

export class ResultIntake {
  /** results waiting, by execution (or by job, for a job whose execution is unknown) */
  private readonly waiting = new Map<string, Pending[]>();

  constructor(private readonly d: Dispatcher) {}

  /** Resolves once the result is committed (or refused) and acknowledged to its agent. */
  async add(agentId: string, result: Result): Promise<void> {
    const d = this.d;
    const executionId =
      d.sessions.get(agentId)?.leases.get(result.jobId)?.executionId ??
      (await d.repository.jobs.get(result.jobId))?.executionId;
    const key = executionId ?? `job:${result.jobId}`;
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(key);
      const pending = { agentId, result, resolve, reject };
      if (queue) {
        queue.push(pending);
        return;
      }
      // nothing in flight for this execution: record it now; later arrivals queue behind
      this.waiting.set(key, []);
      this.run(key, executionId, [pending]);
    });
  }

  private run(key: string, executionId: string | undefined, batch: Pending[]): void {
    this.recordBatch(executionId, batch).finally(() => {
      const queue = this.waiting.get(key) ?? [];
      if (!queue.length) {
        this.waiting.delete(key);
        return;
      }
      this.run(key, executionId, queue.splice(0, MAX_RESULTS_PER_COMMIT));
    });
  }

  /** Records a batch; if its transaction fails, each result alone, so that one bad result fails alone. */
  private async recordBatch(executionId: string | undefined, batch: Pending[]): Promise<void> {
    try {
      await this.record(executionId, batch);
      for (const p of batch) p.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const p of batch) {
        await this.record(executionId, [p]).then(p.resolve, p.reject);
      }
    }
  }

  /**
   * Records results if (agent, job, attempt) hold the current lease, lets the executor decide what comes
   * next in the same transaction, and leases each agent whose results these are the next jobs it may run
   * there too: results, decision and next leases commit together. Acknowledges and publishes after the
   * commit.
   */
  private async record(executionId: string | undefined, batch: Pending[]): Promise<void> {
    const d = this.d;
    const holds: SlotHold[] = [];
    let recorded: Recorded;
    try {
      recorded = await d.repository.transaction((tx) => this.write(tx, executionId, batch, holds));
    } finally {
      // the held slots are now real leases (sent below), or nothing if the transaction failed
      releaseHolds(holds);
    }
    const sessions = new Set<AgentSession>();
    for (const { agentId, result } of batch) {
      const session = d.sessions.get(agentId);
      session?.leases.delete(result.jobId);
      if (session) sessions.add(session);
    }
    for (const session of sessions) d.queued.slotsFreed(session.membership);
    for (const { session, jobs } of recorded.leased) for (const job of jobs) d.leasing.sendJob(session, job);
    recorded.submitted?.after();
    batch.forEach(({ agentId, result }, i) => {
      const accepted = recorded.accepted[i]!;
      if (!accepted) {
        d.logger.warn(
          { agentId, jobId: result.jobId, attempt: result.attempt },
          'result rejected: stale or not the lease holder',
        );
      }
      d.publish(agentId, 'control', {
        ...d.envelope(),
        kind: 'resultAck',
        jobId: result.jobId,
        attempt: result.attempt,
        accepted,
        ...(accepted ? {} : { reason: 'the agent does not hold the current lease of this job and attempt' }),
      });
    });
    if (recorded.submitted) d.dispatchSoon();
  }

  /**
   * The transaction's statements, in as few round trips as the decision allows. The first batch of them
   * goes out at once: the execution's lock, the results' jobs completed, the queued jobs the agents may
   * take in the slots these results free (a ForEach's iterations decided long before), and the read the
   * decision starts with, in that order (lock order everywhere: the execution, then its jobs). Then the
   * decision, and the jobs it created leased to the agents with room left. A result frees its slot
   * whether it is accepted or not: the agent has finished with the job either way.
   */
  private async write(
    tx: Repository,
    executionId: string | undefined,
    batch: Pending[],
    holds: SlotHold[],
  ): Promise<Recorded> {
    const d = this.d;
    const finished = this.finishedBy(batch);
    // queued jobs are worth a query only for agents whose groups may have some
    const freeing = new Map([...finished].filter(([session]) => d.queued.mayHave(session.membership)));
    const ready = (session: AgentSession): ReadyWork | undefined => {
      const taskIds = finished.get(session)?.taskIds;
      return executionId && taskIds ? { executionId, taskIds } : undefined;
    };
    // one clock reading: the attempts leased ahead start when the decision ends the finished ones
    const now = d.now();
    const locking = executionId ? tx.executions.lock(executionId) : undefined;
    const completing = tx.jobs.completeMany(batch.map(({ agentId, result }) => ({ ...result, agentId })));
    const leasing = [...freeing].map(async ([session, { slots }]) => ({
      session,
      jobs: await d.leasing.leaseQueued(tx, session, slots, holds, now, ready(session)),
    }));
    const prepared = executionId ? d.options.executor.prepare?.(tx, executionId, now) : undefined;
    const [locked, completed, queued] = await Promise.all([locking, completing, Promise.all(leasing)]);
    const accepted = await Promise.all(
      batch.map(async ({ agentId, result }, i) => {
        if (completed[i]) return true;
        const current = await tx.jobs.get(result.jobId);
        return current?.state === 'done' && current.attempt === result.attempt && current.agentId === agentId;
      }),
    );
    const messages: ExecutorMessage[] = [];
    const finishing = new Map<string, number>();
    batch.forEach(({ agentId, result }, i) => {
      const job = completed[i];
      if (!job) return;
      finishing.set(agentId, (finishing.get(agentId) ?? 0) + job.slots);
      messages.push({
        executionId: job.executionId,
        event: {
          type: 'result',
          taskRunId: job.taskRunId,
          attempt: job.attempt,
          agentId,
          state: result.state,
          outputs: result.outputs,
          ...(result.error ? { error: result.error } : {}),
        },
      });
    });
    const leased: Recorded['leased'] = queued.filter((q) => q.jobs.length);
    if (!messages.length) return { accepted, submitted: undefined, leased };
    const submitted = await d.options.executor.submit(tx, messages, locked, prepared);
    for (const [agentId, slots] of finishing) {
      const session = d.sessions.get(agentId);
      if (!session) continue;
      const newJobs = submitted.committed?.jobs;
      const jobs = await d.leasing.leaseNewJobs(tx, session, newJobs, slots, holds, ready(session));
      // queued jobs for the slots still free, unless asked for ahead already
      if (!freeing.has(session))
        jobs.push(...(await d.leasing.leaseQueued(tx, session, slots, holds, undefined, ready(session))));
      if (jobs.length) leased.push({ session, jobs });
    }
    return { accepted, submitted, leased };
  }

  /**
   * What each agent's results finish, as far as its session knows (results of the attempts it holds the
   * lease of): the slots they will free, and their tasks, the work its ready window may hold more of if
   * they ran short. Notes their run times, for that window.
   */
  private finishedBy(batch: Pending[]): Map<AgentSession, { slots: number; taskIds: Set<string> }> {
    const finished = new Map<AgentSession, { slots: number; taskIds: Set<string> }>();
    for (const { agentId, result } of batch) {
      const session = this.d.sessions.get(agentId);
      const lease = session?.leases.get(result.jobId);
      if (!session || !lease || lease.attempt !== result.attempt) continue;
      lease.finished = true;
      this.d.sessions.noteRun(session, Date.parse(result.endedAt) - Date.parse(result.startedAt));
      const entry = finished.get(session) ?? { slots: 0, taskIds: new Set<string>() };
      entry.slots += lease.slots;
      entry.taskIds.add(lease.taskId);
      finished.set(session, entry);
    }
    return finished;
  }
}
