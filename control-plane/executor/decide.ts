// The executor's decision: (flow, execution, task runs, event, now) -> the rows to write. No I/O.

import { isTerminal } from '../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../repository/index.ts';
import type { ExecutorEvent } from './events.ts';
import type { FlowPlan } from './plan.ts';
import { allowed, Reconciler } from './reconcile.ts';
import { type Decision, ExecutionState } from './state.ts';

export function decide(
  plan: FlowPlan,
  execution: ExecutionRow,
  taskRuns: TaskRunRow[],
  event: ExecutorEvent,
  now: Date,
): Decision {
  const state = new ExecutionState(execution, taskRuns, now);
  if (event.type === 'result') applyResult(plan, state, event);
  new Reconciler(plan, state).run();
  return state.decision();
}

/** Records the outcome of a runnable task's attempt on its task run; a stale or repeated one changes nothing. */
function applyResult(
  plan: FlowPlan,
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'result' }>,
) {
  const run = state.get(event.taskRunId);
  if (!run || isTerminal(run.state)) return;
  const task = plan.tasks.get(run.taskId);
  const last = run.attempts.at(-1);
  const attempt = {
    ...(last ?? { startDate: state.now.toISOString() }),
    state: event.state,
    endDate: state.now.toISOString(),
    ...(event.agentId ? { agentId: event.agentId } : {}),
    ...(event.error ? { error: event.error } : {}),
  };
  state.replaceLastAttempt(run, attempt);
  if (!event.agentId && event.error) state.log(run, 'ERROR', event.error.message);
  const final = task ? allowed(task, event.state) : event.state;
  state.setRunState(run, final, { outputs: event.outputs });
}
