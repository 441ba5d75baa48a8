// Work that lost its agent or never found one: leases of a lost agent, leases that ran out, and jobs
// that may not wait for an agent of their group. The dispatcher calls these; the database decides.
import type { ExecutorLink, ExecutorMessage } from '../executor/index.ts';
import type { JobRow, Repository } from '../repository/index.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * Releases every lease of a lost agent; each job goes back to the queue or fails. Offline-capable jobs
 * keep theirs: the agent may be running them cut off, and the sweep gives them `offlineGraceMs` more.
 */
export async function releaseAgent(d: Dispatcher, agentId: string, reason: string): Promise<void> {
  const now = d.now();
  const after = await d.repository.transaction(async (tx) => {
    const calls: (() => void)[] = [];
    for (const job of await tx.jobs.leasedBy(agentId)) {
      if (job.offline) continue;
      const then = await releaseLost(tx, d.options.executor, job, reason, d.maxAgentLost, now);
      if (then) calls.push(then);
      else d.queued.add(job.workerGroup, job.slots);
    }
    for (const job of await tx.jobs.queuedPinnedTo(agentId)) {
      calls.push(await failTask(tx, d.options.executor, job, noAgentError(job)));
    }
    return calls;
  });
  for (const call of after) call();
  d.dispatchSoon();
}

/** Safety net: leases that ran out (agent silent), and jobs whose wait for an agent is over. */
export async function sweep(d: Dispatcher): Promise<void> {
  if (!d.running) return;
  d.markAll();
  d.dispatchSoon();
  const now = d.now();
  try {
    const { after, requeued } = await d.repository.transaction(async (tx) => {
      const calls: (() => void)[] = [];
      let again = 0;
      for (const job of await tx.jobs.expired(now, d.offlineGraceMs)) {
        const session = d.sessions.get(job.agentId ?? '');
        if (session) {
          session.leases.delete(job.id);
          session.silent = true; // it did not renew in time: give it nothing until it heartbeats again
        }
        const reason = job.offline
          ? `agent ${job.agentId} stayed out of reach past the offline grace of an offline-capable task`
          : `lease of agent ${job.agentId} expired`;
        const then = await releaseLost(tx, d.options.executor, job, reason, d.maxAgentLost, now);
        if (then) calls.push(then);
        else {
          again++;
          d.queued.add(job.workerGroup, job.slots);
        }
      }
      for (const job of await tx.jobs.waitExpired(now)) {
        calls.push(await failTask(tx, d.options.executor, job, noAgentError(job)));
      }
      return { after: calls, requeued: again };
    });
    for (const call of after) call();
    if (requeued) d.dispatchSoon();
  } catch (error) {
    d.logger.error({ err: error }, 'lease sweep failed');
  }
}

export async function failUnplaceable(d: Dispatcher, jobIds: string[]): Promise<void> {
  const after = await d.repository.transaction(async (tx) => {
    const calls: (() => void)[] = [];
    for (const jobId of jobIds) {
      const job = await tx.jobs.get(jobId);
      if (job?.state !== 'queued') continue;
      // Kestra's fallback CANCEL: the task run ends CANCELLED (not retried), FAIL: FAILED
      const state = job.fallback === 'CANCEL' ? 'CANCELLED' : 'FAILED';
      calls.push(await failTask(tx, d.options.executor, job, noAgentError(job), state));
    }
    return calls;
  });
  for (const call of after) call();
}

function noAgentError(job: JobRow) {
  if (job.pinnedAgentId) {
    return {
      message: `agent ${job.pinnedAgentId}, which holds the working directory of this task, is gone`,
      code: 'ROOST_AGENT_LOST',
    };
  }
  const group = job.workerGroup ? `worker group '${job.workerGroup}'` : 'the default worker group';
  return {
    message: `no agent of ${group} was available to run the task (fallback ${job.fallback})`,
    code: 'ROOST_NO_AGENT',
  };
}

/**
 * Gives up a lease whose agent was lost: the attempt ends FAILED and the job is queued again as its
 * next attempt, unless it has now lost `maxAgentLost` agents, in which case the task fails. Returns
 * what to run after the commit.
 */
export async function releaseLost(
  tx: Repository,
  executor: ExecutorLink,
  job: JobRow,
  reason: string,
  maxAgentLost: number,
  now: Date,
): Promise<(() => void) | undefined> {
  const lost = job.agentLost + 1;
  // a child of a WorkingDirectory cannot move: its directory was on the lost agent
  if (job.payload.workingDirectory) {
    return failTask(tx, executor, job, {
      message: `task failed: the agent holding its working directory was lost (${reason})`,
      code: 'ROOST_AGENT_LOST',
    });
  }
  if (lost < maxAgentLost) {
    const error = { message: reason, code: 'ROOST_AGENT_LOST' };
    await tx.executions.endLastAttempt(job.taskRunId, { state: 'FAILED', endDate: now.toISOString(), error });
    await tx.jobs.requeue(job.id, { attempt: job.attempt + 1, agentLost: lost });
    return undefined;
  }
  // the executor ends this last attempt itself when it records the failure
  return failTask(tx, executor, job, {
    message: `task failed: ${lost} agents were lost while running it (last: ${reason})`,
    code: 'ROOST_AGENT_LOST',
  });
}

/** Ends a job without an agent result and tells the executor the task failed (or was cancelled). */
export async function failTask(
  tx: Repository,
  executor: ExecutorLink,
  job: JobRow,
  error: { message: string; code: string },
  state: 'FAILED' | 'CANCELLED' = 'FAILED',
): Promise<() => void> {
  await tx.jobs.finish(job.id);
  const message: ExecutorMessage = {
    executionId: job.executionId,
    event: {
      type: 'result',
      taskRunId: job.taskRunId,
      attempt: job.attempt,
      state,
      outputs: {},
      error,
    },
  };
  return (await executor.submit(tx, message)).after;
}
