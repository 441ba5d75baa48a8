// How other components hand an event to the executor. In one process it decides inline, in the
// sender's own transaction; the scale-out modes (not written yet) will send it as a queue message.
import type { ExecutionRow, Repository } from '../repository/index.ts';
import type { ExecutorMessage } from './events.ts';
import type { Executor, PreparedRead, Submitted } from './executor.ts';

export interface ExecutorLink {
  /**
   * Records `message` inside `tx` (where the caller may already hold the execution's lock); `after`
   * must run after the commit. `committed` is there when the decision was taken inline. Several
   * messages must be for one execution; they are decided on together. `prepared` is what `prepare`
   * returned in the same transaction.
   */
  submit(
    tx: Repository,
    message: ExecutorMessage | readonly ExecutorMessage[],
    locked?: ExecutionRow,
    prepared?: PreparedRead,
  ): Promise<Submitted>;
  /**
   * When decisions are taken inline: sends the read a decision on the execution starts with, to go out
   * with the caller's own statements (see `Executor.prepare`).
   */
  prepare?(tx: Repository, executionId: string, now?: Date): PreparedRead;
}

/** The executor of this process decides inside the sender's transaction (one commit for both). */
export function inlineLink(executor: Executor): ExecutorLink {
  return {
    submit: (tx, message, locked, prepared) => executor.submitInline(tx, message, locked, prepared),
    prepare: (tx, executionId, now) => executor.prepare(tx, executionId, now),
  };
}
