// Flowable tasks resolved by the executor: each says how its children run and when it is done.
import type { TaskDef } from '../../protocol/flow/index.ts';
import type { State } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import type { Reconciler } from './reconcile.ts';

export type ListStatus = { done: false } | { done: true; state: State };

type FlowableHandler = (reconciler: Reconciler, run: TaskRunRow, task: TaskDef) => ListStatus;

/** Handlers by canonical type name. */
export const FLOWABLES: Record<string, FlowableHandler> = {
  'io.kestra.plugin.core.flow.Sequential': (r, run, task) =>
    r.withHandlers(task.tasks, task.errors, task.finally, run),
};
