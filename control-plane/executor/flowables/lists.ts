// Flowable tasks over one list of children: Sequential (one after another), Parallel (at most
// `concurrent` at once, 0 = all) and AllowFailure (a failure of its children becomes WARNING).
import type { TaskDef } from '../../../protocol/flow/index.ts';
import { State } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import type { Reconciler } from '../reconcile.ts';
import { renderCount } from '../rendering.ts';
import type { FlowableHandler } from './index.ts';

export const SEQUENTIAL: FlowableHandler = (r, run, task) =>
  r.withHandlers(task.tasks, task.errors, task.finally, run);

export const PARALLEL: FlowableHandler = (r, run, task) => {
  const concurrent = concurrencyOf(r, run, task, 'concurrent', 0);
  if ('error' in concurrent) return r.failWith(run, concurrent.error);
  return r.guarded(run, () => r.list(task.tasks, run, concurrent.value), task.errors, task.finally);
};

/** Its own `errors` still run; then FAILED becomes WARNING, so the failure goes no further up. */
export const ALLOW_FAILURE: FlowableHandler = (r, run, task) => {
  const status = r.withHandlers(task.tasks, task.errors, task.finally, run);
  if (!status.done || status.state !== State.FAILED) return status;
  return { ...status, state: State.WARNING };
};

/** A concurrency property (`concurrent`, `concurrencyLimit`): a number, or an expression rendered once. */
export function concurrencyOf(
  r: Reconciler,
  run: TaskRunRow,
  task: TaskDef,
  property: string,
  fallback: number,
): { value: number } | { error: string } {
  const value = task[property];
  if (value === undefined) return { value: fallback };
  if (typeof value === 'number') return { value };
  return r.remember(run, task, property, (context) =>
    renderCount(value, context, `task '${task.id}' ${property}`, fallback),
  );
}
