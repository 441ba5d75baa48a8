// The executor's decision: (flow, execution, task runs, event, now) -> the rows to write, the jobs to
// queue, the timers to set and the jobs to kill. No I/O.
import { isTerminal } from '../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../repository/index.ts';
import { applyResult, startRetry } from './attempts.ts';
import type { ExecutorEvent } from './events.ts';
import { endPauseDelay, resumePaused } from './flowables/pause.ts';
import { applyKill, applyTimeout } from './interrupts.ts';
import type { FlowPlan } from './plan.ts';
import { Reconciler } from './reconcile.ts';
import { applyRestart } from './restart.ts';
import { type Decision, ExecutionState } from './state.ts';

export function decide(
  plan: FlowPlan,
  execution: ExecutionRow,
  taskRuns: TaskRunRow[],
  event: ExecutorEvent,
  now: Date,
): Decision {
  return decideOn(plan, new ExecutionState(execution, taskRuns, now), event);
}

/** The same decision on a working copy the caller keeps (the executor keeps one per open execution). */
export function decideOn(plan: FlowPlan, state: ExecutionState, event: ExecutorEvent): Decision {
  // a restart is the one event an ended execution takes
  if (event.type === 'restart') applyRestart(plan, state);
  if (isTerminal(state.execution.state)) return state.decision();
  switch (event.type) {
    case 'result':
      applyResult(plan, state, event);
      break;
    case 'retry':
      startRetry(plan, state, event.taskRunId, event.attempt);
      break;
    case 'timeout':
      applyTimeout(plan, state, event);
      break;
    case 'pauseEnded':
      endPauseDelay(plan, state, event.taskRunId);
      break;
    case 'resume':
      resumePaused(plan, state, event.inputs ?? {}, event.taskRunId);
      break;
    case 'kill':
      applyKill(plan, state);
      break;
    case 'start':
    case 'wake':
    case 'restart':
      break;
  }
  new Reconciler(plan, state).run();
  return state.decision();
}
