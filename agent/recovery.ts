// What the agent does with jobs a previous process left in its inbox, once the control plane has welcomed it.
import { newId } from '../protocol/ids.ts';
import type { Result } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { type AgentBuffer, InboxState, type OutboxEntry, resultKey } from './buffer/types.ts';
import type { Logger } from './logger.ts';
import type { Runner } from './runner/runner.ts';

export const RESTARTED_MESSAGE =
  'the agent restarted while this task was running; its attempt was not resumed (retry policies apply)';

/**
 * Jobs the control plane did not drop: one never started runs now, from scratch. One that was
 * running ends FAILED with ROOST_AGENT_LOST, so the task's retry policy decides about a new attempt:
 * re-running an attempt that may have half-happened would repeat its side effects behind the
 * author's back, and its log would clash with the chunks already sent.
 */
export async function recoverInbox(deps: {
  buffer: AgentBuffer;
  runner: Runner;
  logger: Logger;
  publish(entry: OutboxEntry): void;
}): Promise<void> {
  const { buffer, runner, logger } = deps;
  for (const entry of await buffer.heldJobs()) {
    const { job } = entry;
    if (runner.has(job)) continue;
    if (entry.state === InboxState.accepted) {
      logger.info('running a job accepted before the restart', { jobId: job.jobId, attempt: job.attempt });
      runner.submit(job);
      continue;
    }
    const now = new Date().toISOString();
    const result: Result = {
      v: PROTOCOL_VERSION,
      id: newId(),
      jobId: job.jobId,
      attempt: job.attempt,
      state: 'FAILED',
      outputs: {},
      error: { message: RESTARTED_MESSAGE, code: 'ROOST_AGENT_LOST' },
      startedAt: now,
      endedAt: now,
      logChunks: entry.logChunks,
    };
    logger.warn('failing a job that was running when the agent stopped', {
      jobId: job.jobId,
      attempt: job.attempt,
    });
    await buffer.finishJob(job, undefined, result);
    deps.publish({ key: resultKey(job.jobId, job.attempt), kind: 'result', message: result });
  }
}
