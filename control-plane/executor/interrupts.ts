// Interruptions of work in progress: a task's `timeout` passing, and a user killing the execution. A
// runnable task run that is stopped is listed in the decision's `kills`, so that its job stops too.
import { TaskKind } from '../../protocol/flow/index.ts';
import { type ErrorCode, isTerminal, State } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { awaitingRetry, settleAttempt } from './attempts.ts';
import type { ExecutorEvent } from './events.ts';
import { killChild } from './flowables/subflow.ts';
import { currentAttempt } from './jobs.ts';
import { allowed, type FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

const TIMEOUT_CODE: ErrorCode = 'ROOST_TASK_FAILED';

/**
 * The timeout of a task run passed. A runnable task's attempt fails (whether or not an agent ever took
 * it) and its retry policy decides what comes next; a flowable task fails and what runs below it is
 * killed. A timer for an attempt or task run that already ended changes nothing.
 */
export function applyTimeout(
  plan: FlowPlan,
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'timeout' }>,
): void {
  const run = state.get(event.taskRunId);
  const task = run && plan.tasks.get(run.taskId);
  if (!run || !task || isTerminal(run.state)) return;
  const message = `task '${task.id}' timed out after ${String(task.timeout)}`;
  if (!isFlowable(plan, run)) {
    if (awaitingRetry(run) || event.attempt !== currentAttempt(run)) return;
    state.kills.push({ taskRunId: run.id, reason: message });
    state.endAttempt(run, {
      state: State.FAILED,
      endDate: state.now.toISOString(),
      error: { message, code: TIMEOUT_CODE },
    });
    state.log(run, 'ERROR', message);
    settleAttempt(plan, state, run, State.FAILED, {}, event.attempt);
    return;
  }
  killBelow(plan, state, run, message);
  killChild(state, run);
  state.log(run, 'ERROR', message);
  state.setRunState(run, allowed(task, State.FAILED));
}

/** Kills the execution: KILLING, every task run not ended is KILLED (nothing new starts), then KILLED. */
export function applyKill(plan: FlowPlan, state: ExecutionState): void {
  if (isTerminal(state.execution.state)) return;
  const reason = 'the execution was killed';
  state.setExecutionState(State.KILLING);
  killOpenRuns(plan, state, reason);
  state.log(undefined, 'WARN', reason);
  state.setExecutionState(State.KILLED);
}

/** Kills every task run of the execution that has not ended (and the jobs of runnable ones). */
export function killOpenRuns(plan: FlowPlan, state: ExecutionState, reason: string): void {
  for (const run of state.allRuns()) if (!isTerminal(run.state)) killRun(plan, state, run, reason);
}

function killBelow(plan: FlowPlan, state: ExecutionState, run: TaskRunRow, reason: string): void {
  for (const child of state.childrenOf(run.id)) {
    if (isTerminal(child.state)) continue;
    killBelow(plan, state, child, reason);
    killRun(plan, state, child, reason);
  }
}

function killRun(plan: FlowPlan, state: ExecutionState, run: TaskRunRow, reason: string): void {
  killChild(state, run);
  if (!isFlowable(plan, run)) {
    state.kills.push({ taskRunId: run.id, reason });
    const last = run.attempts.at(-1);
    if (last && last.endDate === undefined) {
      state.endAttempt(run, { state: State.KILLED, endDate: state.now.toISOString() });
    }
  }
  state.setRunState(run, State.KILLED);
}

const isFlowable = (plan: FlowPlan, run: TaskRunRow) =>
  plan.types.get(run.taskId)?.kind === TaskKind.FLOWABLE;
