// The executor's decision: (flow, execution, task runs, event, now) -> the rows to write, the jobs to
// queue, the timers to set and the jobs to kill. No I/O.
import { isTerminal } from '../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../repository/index.ts';
import { applyResult, startRetry } from './attempts.ts';
import { admit, type Slots, slotChange } from './concurrency.ts';
import type { ExecutorEvent } from './events.ts';
import type { FlowLookup } from './flowables/flows.ts';
import { startNextIteration } from './flowables/loop-until.ts';
import { endPauseDelay, resumePaused } from './flowables/pause.ts';
import { endSleep } from './flowables/sleep.ts';
import { applySubflowEnded, notifyParent } from './flowables/subflow.ts';
import { applyKill, applyTimeout } from './interrupts.ts';
import type { FlowPlan } from './plan.ts';
import { Reconciler } from './reconcile.ts';
import { applyRestart } from './restart.ts';
import { type Decision, ExecutionState } from './state.ts';

/**
 * `flows` answers for the flows subflows start; it may throw FlowNeeded, and the caller loads that flow
 * and decides again (the decision is pure, so nothing of the first try remains).
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
  flows?: FlowLookup,
): Decision {
  return decideOn(plan, new ExecutionState(execution, taskRuns, now, flows), event, slots);
}

/**
 * The same decision on a working copy the caller keeps (the executor keeps one per open execution).
 * Several events of one execution (the results of a burst of its tasks) are applied in order and then
 * reconciled once: the same outcome as deciding on each in turn, at the cost of one pass.
 * A FlowNeeded thrown from `state.flows` leaves the copy half-changed: the caller must drop it.
 */
export function decideOn(
  plan: FlowPlan,
  state: ExecutionState,
  events: ExecutorEvent | readonly ExecutorEvent[],
  slots?: Slots,
): Decision {
  const all: readonly ExecutorEvent[] = Array.isArray(events) ? events : [events];
  const before = state.execution.state;
  const decided = () => {
    const decision = state.decision();
    const change = slotChange(plan, before, state.execution.state);
    return change ? { ...decision, slots: change } : decision;
  };
  // a restart is the one event an ended execution takes; it needs a free slot like a start
  if (all.some((e) => e.type === 'restart') && (!plan.flow.concurrency || slots?.free))
    applyRestart(plan, state);
  // an execution that ended only runs its afterExecution tasks
  const ended = isTerminal(state.execution.state);
  if (ended && !plan.flow.afterExecution?.length) return decided();
  if (!ended && !all.some((e) => e.type === 'kill') && !admit(plan, state, slots)) return decided();
  for (const event of all) apply(plan, state, event);
  new Reconciler(plan, state).run();
  if (!ended && isTerminal(state.execution.state)) notifyParent(plan, state);
  return decided();
}

function apply(plan: FlowPlan, state: ExecutionState, event: ExecutorEvent): void {
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
    case 'subflowEnded':
      applySubflowEnded(plan, state, event);
      break;
    case 'sleepEnded':
      endSleep(plan, state, event);
      break;
    case 'loopDue':
      startNextIteration(state, event);
      break;
    case 'kill':
      applyKill(plan, state);
      break;
    case 'start':
    case 'wake':
    case 'restart':
      break;
  }
}
