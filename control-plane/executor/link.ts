// How other components hand an event to the executor: decided inline in their own transaction when an
// executor runs in the same process, or as a queue message for executors elsewhere.
import type { ExecutionRow, Repository } from '../repository/index.ts';
import { EXECUTOR_TOPIC, type ExecutorMessage } from './events.ts';
import type { Executor, Submitted } from './executor.ts';

export interface ExecutorLink {
  /**
   * Records `message` inside `tx` (where the caller may already hold the execution's lock); `after`
   * must run after the commit. `committed` is there when the decision was taken inline.
   */
  submit(tx: Repository, message: ExecutorMessage, locked?: ExecutionRow): Promise<Submitted>;
}

/** The executor of this process decides inside the sender's transaction (one commit for both). */
export function inlineLink(executor: Executor): ExecutorLink {
  return { submit: (tx, message, locked) => executor.submitInline(tx, message, locked) };
}

/** Executors in other processes take the event from the queue (woken by NOTIFY at commit). */
export function queueLink(): ExecutorLink {
  return {
    async submit(tx, message) {
      await tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, {
        key: message.executionId,
      });
      return { after: () => {} };
    },
  };
}
