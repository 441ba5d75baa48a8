// The executor's decision: (flow, execution, task runs, event, now) -> the rows to write, the jobs to
// queue, the timers to set and the jobs to kill. No I/O.
import { isTerminal } from '../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../repository/index.ts';
import { applyResult, startRetry } from './attempts.ts';
import { admit, type Slots, slotChange } from './concurrency.ts';
import type { ExecutorEvent } from './events.ts';
import { endPauseDelay, resumePaused } from './flowables/pause.ts';
import { applyKill, applyTimeout } from './interrupts.ts';
import type { FlowPlan } from './plan.ts';
import { Reconciler } from './reconcile.ts';
import { applyRestart } from './restart.ts';
import { type Decision, ExecutionState } from './state.ts';

/**
 * `slots` is what the executor found under the flow's counter lock, for an execution of a flow with a
 * `concurrency` limit that does not hold a slot yet (waiting to start, or ended and restarted).
 */
export function decide(
  plan: FlowPlan,
  execution: ExecutionRow,
  taskRuns: TaskRunRow[],
  event: ExecutorEvent,
  now: Date,
  slots?: Slots,
): Decision {
  return decideOn(plan, new ExecutionState(execution, taskRuns, now), event, slots);
}

/** The same decision on a working copy the caller keeps (the executor keeps one per open execution). */
export function decideOn(
  plan: FlowPlan,
  state: ExecutionState,
  event: ExecutorEvent,
  slots?: Slots,
): Decision {
  const before = state.execution.state;
  const decided = () => {
    const decision = state.decision();
    const change = slotChange(plan, before, state.execution.state);
    return change ? { ...decision, slots: change } : decision;
  };
  // a restart is the one event an ended execution takes; it needs a free slot like a start
  if (event.type === 'restart' && (!plan.flow.concurrency || slots?.free)) applyRestart(plan, state);
  if (isTerminal(state.execution.state)) return decided();
  if (event.type !== 'kill' && !admit(plan, state, slots)) return decided();
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
  return decided();
}
