// Lease bookkeeping inside a transaction: granting an attempt, and giving up one whose agent was lost.
import type { ExecutorLink, ExecutorMessage } from '../executor/index.ts';
import type { JobRow, LeaseRequest, Repository } from '../repository/index.ts';

/**
 * Leases a job to an agent (the next one it may take, or a given one if still queued) and marks its task
 * run's new attempt RUNNING.
 */
export async function grantLease(
  tx: Repository,
  request: LeaseRequest | { jobId: string; agentId: string; leaseUntil: Date },
  now: Date,
): Promise<JobRow | undefined> {
  const job =
    'jobId' in request
      ? await tx.jobs.leaseById(request.jobId, request.agentId, request.leaseUntil)
      : await tx.jobs.leaseNext(request);
  if (!job) return undefined;
  await tx.executions.startAttempt(
    job.taskRunId,
    { state: 'RUNNING', startDate: now.toISOString(), agentId: request.agentId },
    now,
  );
  return job;
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
