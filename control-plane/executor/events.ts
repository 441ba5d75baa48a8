// The events the executor decides on: what happened to an execution, from outside or from its own timers.
import type { ResultState, State } from '../../protocol/index.ts';

export type ExecutorEvent =
  /** a new execution: start it */
  | { type: 'start' }
  /** a runnable task's attempt ended: on an agent, or without one (no agent, agent lost too often) */
  | {
      type: 'result';
      taskRunId: string;
      attempt: number;
      agentId?: string;
      /** CANCELLED only from the dispatcher: no agent of the group and `fallback: CANCEL` */
      state: ResultState | typeof State.CANCELLED;
      outputs: Record<string, unknown>;
      error?: { message: string; code?: string };
    }
  /** timer: the delay before the next attempt of a task run is over */
  | { type: 'retry'; taskRunId: string; attempt: number }
  /** timer: a task run's `timeout` is over (for a runnable task, the timeout of one attempt) */
  | { type: 'timeout'; taskRunId: string; attempt: number }
  /** timer: the `delay` of a Pause is over */
  | { type: 'pauseEnded'; taskRunId: string }
  /** a user resumes the paused execution (every paused Pause, or one), with the `onResume` inputs */
  | { type: 'resume'; taskRunId?: string; inputs?: Record<string, unknown> }
  /**
   * the subflow execution `executionId` a Subflow task run started ended: its state, its flow outputs,
   * and (when its flow declares none) its variables, to render the Subflow's own `outputs` with
   */
  | {
      type: 'subflowEnded';
      taskRunId: string;
      executionId: string;
      state: State;
      outputs: Record<string, unknown> | null;
      context?: Record<string, unknown>;
    }
  /** timer: the `duration` of attempt `attempt` of a Sleep is over */
  | { type: 'sleepEnded'; taskRunId: string; attempt: number }
  /** timer: the `checkFrequency.interval` of a LoopUntil is over: its next iteration may start */
  | { type: 'loopDue'; taskRunId: string; iteration: number }
  /** a user kills the execution: running task runs are killed, nothing new is created */
  | { type: 'kill' }
  /** a user restarts the ended (FAILED or KILLED) execution: its failed task runs run again */
  | { type: 'restart' }
  /** look again (something else changed) */
  | { type: 'wake' };

/** An event the executor must receive at `at`: a delayed queue message, so it survives restarts. */
export interface Timer {
  at: Date;
  event: ExecutorEvent;
}

/** A task run whose job must stop: the dispatcher ends its job and tells the agent that holds it. */
export interface Kill {
  taskRunId: string;
  reason: string;
}

/** Queue topic of executor events, and the payload of one message. */
export const EXECUTOR_TOPIC = 'executor';
export interface ExecutorMessage {
  executionId: string;
  event: ExecutorEvent;
}
