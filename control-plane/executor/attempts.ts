// How an attempt of a runnable task run ends: its outcome is recorded on the task run, then either a
// retry (a new attempt of the same task run, after a durable delay) or the task run's final state.
import { isTerminal, type ResultState, State } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import type { ExecutorEvent } from './events.ts';
import { lostItsDirectory, takeDirectoryOutputs } from './flowables/working-directory.ts';
import { currentAttempt, queueAttempt } from './jobs.ts';
import { allowed, type FlowPlan } from './plan.ts';
import { nextAttemptAt, retriesInPlace, retryPolicyOf } from './retry.ts';
import { retryAsNewExecution } from './retry-execution.ts';
import type { ExecutionState } from './state.ts';

/** Records an agent's (or the dispatcher's) outcome of an attempt; a stale or repeated one changes nothing. */
export function applyResult(
  plan: FlowPlan,
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'result' }>,
): void {
  const run = state.get(event.taskRunId);
  if (!run || isTerminal(run.state) || awaitingRetry(run)) return;
  if (event.attempt < currentAttempt(run)) return;
  state.endAttempt(run, {
    state: event.state,
    endDate: state.now.toISOString(),
    ...(event.agentId ? { agentId: event.agentId } : {}),
    ...(event.error ? { error: event.error } : {}),
  });
  if (!event.agentId && event.error) state.log(run, 'ERROR', event.error.message);
  const outputs = takeDirectoryOutputs(plan, state, run, event.outputs);
  if (event.state === State.FAILED && lostItsDirectory(plan, state, run, event.error)) {
    state.setRunState(run, State.FAILED, { outputs });
    return;
  }
  settleAttempt(plan, state, run, event.state, outputs, event.attempt);
}

/**
 * After an attempt ended with `result`: a failure is retried when the retry policy allows another
 * attempt; otherwise the task run takes its final state (WARNING for a success that needed a retry and
 * `warningOnRetry`, then `allowFailure`/`allowWarning`).
 */
export function settleAttempt(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  result: ResultState | typeof State.CANCELLED,
  outputs: Record<string, unknown>,
  attempt: number,
): void {
  const task = plan.tasks.get(run.taskId);
  if (!task) {
    state.setRunState(run, result, { outputs });
    return;
  }
  const policy = retryPolicyOf(plan, state, run, task);
  if (result === State.FAILED && policy) {
    const inPlace = retriesInPlace(policy);
    if (!inPlace && retryAsNewExecution(plan, state, run, policy)) return;
    const at = inPlace ? nextAttemptAt(policy, run.attempts, state.now, run.id) : undefined;
    if (at) {
      const next = Math.max(attempt, run.attempts.length, currentAttempt(run)) + 1;
      state.setRunState(run, State.RETRYING);
      state.patchMeta(run, { retry: next });
      if (at.getTime() <= state.now.getTime()) queueAttempt(plan, state, run, task, next);
      else state.timer(at, { type: 'retry', taskRunId: run.id, attempt: next });
      return;
    }
  }
  let final: State = result;
  if (final === State.SUCCESS && policy?.warningOnRetry && run.attempts.length > 1) final = State.WARNING;
  state.setRunState(run, allowed(task, final), { outputs });
}

/** The delay before a retry is over: queue the job of the new attempt, if the task run still waits for it. */
export function startRetry(plan: FlowPlan, state: ExecutionState, taskRunId: string, attempt: number): void {
  const run = state.get(taskRunId);
  const task = run && plan.tasks.get(run.taskId);
  if (!run || !task || isTerminal(run.state) || !awaitingRetry(run) || run.meta?.retry !== attempt) return;
  queueAttempt(plan, state, run, task, attempt);
}

/** Whether the task run waits for the delay before its next attempt (no job of it is queued yet). */
export function awaitingRetry(run: TaskRunRow): boolean {
  const retry = run.meta?.retry;
  return typeof retry === 'number' && retry > currentAttempt(run);
}
