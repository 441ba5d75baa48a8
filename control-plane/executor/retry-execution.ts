// Retry with `behavior: CREATE_NEW_EXECUTION` (on a task, a flowable parent or the flow): instead of a
// new attempt of the task run, the whole execution is tried again as a new execution. As in Kestra, the
// failed task run and its execution end RETRIED, and the next attempt is a new execution of the same flow
// revision, inputs and labels, linked to the first one (`originalId`), that counts the attempts
// (`attemptNumber`) and starts after the policy's delay (a durable, delayed start message).
import { newId, State } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { killOpenRuns } from './interrupts.ts';
import type { FlowPlan } from './plan.ts';
import { nextRetryAt, type RetryPolicy } from './retry.ts';
import type { ExecutionState } from './state.ts';

/**
 * Retries the execution as a new one when the policy allows another attempt (counted in executions,
 * `maxDuration` from the first one's start); false when the attempts are used up.
 */
export function retryAsNewExecution(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  policy: RetryPolicy,
): boolean {
  const execution = state.execution;
  const firstStart = execution.originalStartDate ?? execution.startDate;
  const at = nextRetryAt(
    policy,
    { count: execution.attemptNumber, firstStart: firstStart.getTime(), lastEnd: state.now.getTime() },
    execution.id,
  );
  if (!at) return false;
  const attemptNumber = execution.attemptNumber + 1;
  const id = newId();
  const reason = `task '${run.taskId}' failed: the execution is retried as execution ${id} (attempt ${attemptNumber})`;
  state.setRunState(run, State.RETRIED);
  state.log(run, 'WARN', reason);
  state.setExecutionState(State.RETRYING);
  killOpenRuns(plan, state, reason);
  state.setExecutionState(State.RETRIED);
  state.executions.push({
    startAt: at,
    execution: {
      id,
      namespace: execution.namespace,
      flowId: execution.flowId,
      flowRevision: execution.flowRevision,
      state: State.CREATED,
      histories: [{ state: State.CREATED, date: state.now.toISOString() }],
      inputs: execution.inputs,
      labels: execution.labels,
      trigger: execution.trigger,
      parentId: execution.parentId,
      originalId: execution.originalId ?? execution.id,
      attemptNumber,
      originalStartDate: firstStart,
      startDate: state.now,
    },
  });
  return true;
}
