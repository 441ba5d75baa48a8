// A flow's `concurrency: { limit, behavior }`: at most `limit` of its executions hold a slot (from the
// moment they start until they end, PAUSED included). An execution that finds no free slot is QUEUED
// (the default), CANCELLED or FAILED at once. Whether a slot is free is found by the executor under the
// flow's counter lock; this module decides what follows and how the count changes.
import { isTerminal, State } from '../../protocol/index.ts';
import type { ExecutionRow } from '../repository/index.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** What the executor found under the flow's counter lock: a slot is free and no execution waits ahead. */
export interface Slots {
  free: boolean;
}

/** How a decision changes the flow's slots: taken (+1) or given back (-1), and whether to wake the next queued. */
export interface SlotChange {
  delta: number;
  wakeQueued: boolean;
}

/** Whether an execution in `state` holds one of its flow's slots. */
export const holdsSlot = (state: State) =>
  state !== State.CREATED && state !== State.QUEUED && !isTerminal(state);

/** Whether the execution must find a free slot before it runs. */
export function waitsForSlot(plan: FlowPlan, execution: Pick<ExecutionRow, 'state'>): boolean {
  return plan.flow.concurrency !== undefined && !holdsSlot(execution.state) && !isTerminal(execution.state);
}

/** Lets the execution run when a slot is free; otherwise queues, cancels or fails it. True when it may run. */
export function admit(plan: FlowPlan, state: ExecutionState, slots: Slots | undefined): boolean {
  const concurrency = plan.flow.concurrency;
  if (!concurrency || !waitsForSlot(plan, state.execution)) return true;
  if (slots?.free) return true;
  const flow = `${plan.flow.namespace}.${plan.flow.id}`;
  const reason = `flow ${flow} has reached its concurrency limit of ${concurrency.limit} running executions`;
  switch (concurrency.behavior ?? 'QUEUE') {
    case 'QUEUE':
      if (state.execution.state !== State.QUEUED) {
        state.log(undefined, 'INFO', `${reason}: the execution waits its turn`);
        state.setExecutionState(State.QUEUED);
      }
      return false;
    case 'CANCEL':
      state.log(undefined, 'WARN', `${reason}: the execution is cancelled`);
      state.setExecutionState(State.CANCELLED);
      return false;
    case 'FAIL':
      state.log(undefined, 'ERROR', `${reason}: the execution fails`);
      state.setExecutionState(State.FAILED, { error: { message: reason } });
      return false;
  }
}

/**
 * How the flow's slots change between `before` and the execution's state after the decision. The next
 * queued execution is woken when a slot was given back, and when a queued one starts or ends (a slot may
 * still be free for the one behind it).
 */
export function slotChange(plan: FlowPlan, before: State, after: State): SlotChange | undefined {
  if (!plan.flow.concurrency) return undefined;
  const delta = Number(holdsSlot(after)) - Number(holdsSlot(before));
  const wakeQueued = delta < 0 || (before === State.QUEUED && after !== State.QUEUED);
  return delta === 0 && !wakeQueued ? undefined : { delta, wakeQueued };
}
