// Leasing: which queued jobs go to which live agent, and when. A dispatch pass hands out jobs round by
// round; a result's transaction leases the agent its next jobs in the same commit; a decision that creates
// jobs leases them inline. Every lease is sent to its agent only once its transaction has committed.
import type { JobRow, LeaseRequest, NewJob, Repository } from '../repository/index.ts';
import type { Dispatcher } from './dispatcher.ts';
import { inGroup } from './groups.ts';
import type { AgentSession } from './sessions.ts';

/**
 * Leases a job to an agent (the next one it may take, or a given one if still queued) and marks its task
 * run's new attempt RUNNING.
 */
export async function grantLease(
  tx: Repository,
  request: LeaseRequest | { jobId: string; agentId: string; leaseUntil: Date },
  now: Date,
): Promise<JobRow | undefined> {
  // a given job is leased with its attempt started in one statement
  if ('jobId' in request) return tx.jobs.leaseById(request.jobId, request.agentId, request.leaseUntil, now);
  const job = await tx.jobs.leaseNext(request);
  if (!job) return undefined;
  await tx.executions.startAttempt(
    job.taskRunId,
    { state: 'RUNNING', startDate: now.toISOString(), agentId: request.agentId },
    now,
  );
  return job;
}

/** Work an agent has just finished quickly: the tasks of one execution its results were of. */
export interface ReadyWork {
  executionId: string;
  taskIds: ReadonlySet<string>;
}

export class Leasing {
  constructor(private readonly d: Dispatcher) {}

  /**
   * Gives each available agent that may have work the oldest job it may take, round after round, until
   * a round grants nothing. Agents whose groups have nothing queued cost no query.
   */
  async pass(): Promise<void> {
    for (;;) {
      let granted = 0;
      for (const session of this.d.sessions.available()) {
        if (!this.d.running) return;
        if (!this.d.queued.mayHave(session.membership)) continue;
        const version = this.d.queued.version;
        if (await this.leaseTo(session)) granted++;
        // an agent that refused jobs may leave queued ones that others of its groups can take
        else if (!session.refused?.size)
          this.d.queued.clear(session.membership, this.d.sessions.freeSlots(session), version);
      }
      if (!granted) return;
    }
  }

  /**
   * Leases the next job the session may take to it: one that fits its free slots or, for an agent that
   * prefetches, an offline-capable one beyond them (it waits on the agent, and runs there even if the
   * link drops).
   */
  private async leaseTo(session: AgentSession): Promise<boolean> {
    const free = this.d.sessions.freeSlots(session);
    if (free >= 1 && (await this.leaseWithin(session, free, false))) return true;
    const room = Math.min(this.d.sessions.prefetchRoom(session), session.slots);
    return room >= 1 && this.leaseWithin(session, room, true);
  }

  /** What an agent may be leased: a queued job of its groups that fits `free` slots, none it refused. */
  private leaseRequest(session: AgentSession, free: number, now: Date, offlineOnly = false): LeaseRequest {
    return {
      agentId: session.agentId,
      groups: session.membership.groups,
      inDefaultGroup: session.membership.inDefaultGroup,
      freeSlots: free,
      maxJobSlots: session.slots,
      leaseUntil: new Date(now.getTime() + this.d.leaseMs),
      ...(session.refused?.size ? { exclude: [...session.refused] } : {}),
      ...(offlineOnly ? { offlineOnly } : {}),
    };
  }

  private async leaseWithin(session: AgentSession, free: number, offlineOnly: boolean): Promise<boolean> {
    // hold the free slots while the transaction runs: a result's transaction may lease to this agent too
    session.reserved = (session.reserved ?? 0) + free;
    let job: JobRow | undefined;
    try {
      job = await this.d.repository.transaction((tx) => {
        // read the clock inside the transaction, so a lease never predates the decision that made the job
        const now = this.d.now();
        return grantLease(tx, this.leaseRequest(session, free, now, offlineOnly), now);
      });
    } finally {
      session.reserved -= free;
    }
    if (!job) return false;
    this.sendJob(session, job);
    return true;
  }

  /**
   * Inside the caller's transaction (the one recording this agent's result), leases to the agent those
   * of the jobs just decided that it may run, as far as its free slots go, and those that are more of
   * the `ready` work as far as its ready window goes. They are taken out of `jobs`, so that the
   * executor's commit event does not dispatch them again.
   */
  async leaseNewJobs(
    tx: Repository,
    session: AgentSession,
    jobs: NewJob[] | undefined,
    /** slots of the jobs whose results this transaction records: free once it commits */
    finishing: number,
    /** where each slot held for a lease is noted, for the caller to let go after the transaction */
    holds: SlotHold[],
    /** the work the agent has just finished quickly, which it may hold more of ready */
    ready?: ReadyWork,
  ): Promise<JobRow[]> {
    if (!jobs?.length || session.maintenance || session.adminMaintenance || !this.d.running) return [];
    const leased: JobRow[] = [];
    let free = this.d.sessions.freeSlots(session) + finishing;
    let room = free + (ready ? this.d.sessions.readyRoom(session) : 0);
    const now = this.d.now();
    for (const job of jobs) {
      const slots = job.slots ?? 1;
      if (!inGroup(session.membership, job.workerGroup ?? null) || slots > session.slots) continue;
      const same = job.executionId === ready?.executionId && ready.taskIds.has(String(job.payload.task.id));
      if (slots > free && !(same && slots <= room)) continue;
      const row = await grantLease(
        tx,
        { jobId: job.id, agentId: session.agentId, leaseUntil: new Date(now.getTime() + this.d.leaseMs) },
        now,
      );
      if (!row) continue;
      free -= slots;
      room -= slots;
      hold(session, slots, holds);
      leased.push(row);
    }
    const taken = new Set(leased.map((j) => j.id));
    for (let i = jobs.length - 1; i >= 0; i--) if (taken.has(jobs[i]!.id)) jobs.splice(i, 1);
    return leased;
  }

  /**
   * Inside the caller's transaction (the one recording this agent's result, after `leaseNewJobs`), leases
   * to the agent queued jobs it may run, as far as its free slots go: the next iterations of a ForEach,
   * say, which were decided long before. Saves a dispatch pass (a transaction and a hop) per task. Then,
   * as far as its ready window goes, more of the `ready` work if that is what heads the queue.
   */
  async leaseQueued(
    tx: Repository,
    session: AgentSession,
    finishing: number,
    holds: SlotHold[],
    /** the transaction's clock reading, when the caller has one (the attempts start then) */
    now = this.d.now(),
    /** the work the agent has just finished quickly, which it may hold more of ready */
    ready?: ReadyWork,
  ): Promise<JobRow[]> {
    if (session.maintenance || session.adminMaintenance || session.silent || !this.d.running) return [];
    if (!this.d.queued.mayHave(session.membership)) return [];
    const leased: JobRow[] = [];
    const take = (jobs: JobRow[]) => {
      for (const job of jobs) {
        hold(session, job.slots, holds);
        leased.push(job);
      }
      return jobs.reduce((sum, job) => sum + job.slots, 0);
    };
    let free = this.d.sessions.freeSlots(session) + finishing;
    let room = free + (ready ? this.d.sessions.readyRoom(session) : 0);
    while (free >= 1) {
      const version = this.d.queued.version;
      const jobs = await tx.jobs.leaseNextMany(this.leaseRequest(session, free, now), now);
      if (!jobs.length) {
        // nothing fits: no need to ask again until jobs arrive (or slots free up, for heavy ones)
        if (!session.refused?.size) this.d.queued.clear(session.membership, free, version);
        return leased;
      }
      const taken = take(jobs);
      free -= taken;
      room -= taken;
    }
    // one query: what it does not take (other work, or too heavy) waits for the next burst
    if (ready && room >= 1) {
      const request = {
        ...this.leaseRequest(session, room, now),
        ready: { executionId: ready.executionId, taskIds: [...ready.taskIds] },
      };
      take(await tx.jobs.leaseNextMany(request, now));
    }
    return leased;
  }

  /**
   * Leases jobs a decision has just created to agents that can take them now, inside that decision's
   * transaction: a new execution is created, decided and its first jobs leased in one commit. Leased jobs
   * are taken out of `jobs` (the others wait for a dispatch pass as usual). Call the returned function
   * once the transaction has ended: with true after a commit (the jobs are sent), false after a failure.
   */
  async leaseInline(tx: Repository, jobs: NewJob[]): Promise<(committed: boolean) => void> {
    const leased: { session: AgentSession; job: JobRow }[] = [];
    const holds: SlotHold[] = [];
    try {
      for (const session of this.d.sessions.available()) {
        if (!jobs.length) break;
        for (const job of await this.leaseNewJobs(tx, session, jobs, 0, holds)) leased.push({ session, job });
      }
    } catch (error) {
      releaseHolds(holds);
      throw error;
    }
    return (committed) => {
      releaseHolds(holds);
      if (committed) for (const { session, job } of leased) this.sendJob(session, job);
    };
  }

  /** Records a lease granted to the session and publishes the job to its agent. */
  sendJob(session: AgentSession, job: JobRow): void {
    const task = job.payload.task;
    session.leases.set(job.id, {
      attempt: job.attempt,
      slots: job.slots,
      executionId: job.executionId,
      taskRunId: job.taskRunId,
      taskId: String(task.id),
      sentAt: performance.now(),
    });
    this.d.publish(session.agentId, 'jobs', {
      ...this.d.envelope(),
      jobId: job.id,
      attempt: job.attempt,
      leaseMs: this.d.leaseMs,
      executionId: job.executionId,
      taskRunId: job.taskRunId,
      slots: job.slots,
      offline: job.offline,
      task,
      context: job.payload.context,
      ...(job.payload.workingDirectory ? { workingDirectory: job.payload.workingDirectory } : {}),
    });
  }
}

/**
 * Slots of an agent held for leases granted in a transaction not yet committed, so that no other
 * transaction leases them too; let go once it has ended (the leases are then in `leases`, or gone).
 */
export interface SlotHold {
  session: AgentSession;
  slots: number;
}

function hold(session: AgentSession, slots: number, holds: SlotHold[]): void {
  session.reserved = (session.reserved ?? 0) + slots;
  holds.push({ session, slots });
}

export function releaseHolds(holds: SlotHold[]): void {
  for (const { session, slots } of holds.splice(0)) session.reserved = (session.reserved ?? 0) - slots;
}
