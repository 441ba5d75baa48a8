// The events the executor decides on.
import type { ResultState } from '../../protocol/index.ts';

export type ExecutorEvent =
  /** a new execution: start it */
  | { type: 'start' }
  /** a runnable task's attempt ended: on an agent, or without one (no agent, agent lost too often) */
  | {
      type: 'result';
      taskRunId: string;
      attempt: number;
      agentId?: string;
      state: ResultState;
      outputs: Record<string, unknown>;
      error?: { message: string; code?: string };
    }
  /** look again (a timer fired, or something else changed) */
  | { type: 'wake' };

/** Queue topic of executor events, and the payload of one message. */
export const EXECUTOR_TOPIC = 'executor';
export interface ExecutorMessage {
  executionId: string;
  event: ExecutorEvent;
}
