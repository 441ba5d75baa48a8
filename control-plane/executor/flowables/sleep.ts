// Sleep, resolved by the executor: an attempt is a durable timer of `duration` (a delayed queue message,
// so it survives a restart); no agent is involved. Its `timeout` and retries work as for any task.
import type { TaskDef } from '../../../protocol/flow/index.ts';
import { isTerminal, State } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { settleAttempt } from '../attempts.ts';
import { taskRunContext } from '../context.ts';
import type { ExecutorEvent } from '../events.ts';
import { currentAttempt } from '../jobs.ts';
import { allowed, type FlowPlan } from '../plan.ts';
import { renderDuration } from '../rendering.ts';
import type { ExecutionState } from '../state.ts';

export const SLEEP_TYPE = 'io.kestra.plugin.core.flow.Sleep';

/** Starts attempt `attempt`: RUNNING, and a timer at the end of the duration. */
export function startSleep(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
): boolean {
  const context = taskRunContext(plan, state, task, run);
  const duration = renderDuration(task.duration, context, `task '${task.id}' duration`);
  state.patchMeta(run, { attempt });
  if (duration.error !== undefined) {
    state.log(run, 'ERROR', duration.error);
    state.setRunState(run, allowed(task, State.FAILED));
    return false;
  }
  const date = state.now.toISOString();
  state.updateRun(run, { attempts: [...run.attempts, { state: State.RUNNING, startDate: date }] });
  state.setRunState(run, State.RUNNING);
  state.timer(new Date(state.now.getTime() + duration.value), {
    type: 'sleepEnded',
    taskRunId: run.id,
    attempt,
  });
  return true;
}

/** The duration is over: the attempt, and the task run, succeed (unless it ended otherwise meanwhile). */
export function endSleep(
  plan: FlowPlan,
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'sleepEnded' }>,
): void {
  const run = state.get(event.taskRunId);
  if (!run || isTerminal(run.state) || currentAttempt(run) !== event.attempt) return;
  if (run.state !== State.RUNNING) return;
  state.endAttempt(run, { state: State.SUCCESS, endDate: state.now.toISOString() });
  settleAttempt(plan, state, run, State.SUCCESS, {}, event.attempt);
}
