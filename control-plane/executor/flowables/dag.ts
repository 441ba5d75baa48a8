// Dag: each task starts once every task it `dependsOn` has ended without failing (a disabled dependency
// counts as done), at most `concurrent` at once (0 = all). After a failure nothing new starts.
import type { TaskDef, TaskTypeInfo } from '../../../protocol/flow/index.ts';
import { isFailure, isTerminal, worstState } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { taskOf } from '../plan.ts';
import type { ListStatus, Reconciler } from '../reconcile.ts';
import type { FlowableHandler } from './index.ts';
import { concurrencyOf } from './lists.ts';

interface DagEntry {
  task: unknown;
  dependsOn?: string[];
}

interface Waiting {
  task: TaskDef;
  info: TaskTypeInfo;
  dependsOn: readonly string[];
}

export const DAG: FlowableHandler = (r, run, task) => {
  const concurrent = concurrencyOf(r, run, task, 'concurrent', 0);
  if ('error' in concurrent) return r.failWith(run, concurrent.error);
  const entries = (Array.isArray(task.tasks) ? task.tasks : []) as DagEntry[];
  return r.guarded(run, () => walkDag(r, run, entries, concurrent.value), task.errors, task.finally);
};

function walkDag(r: Reconciler, parent: TaskRunRow, entries: readonly DagEntry[], limit: number): ListStatus {
  const runs = new Map<string, TaskRunRow>();
  const disabled = new Set<string>();
  const waiting: Waiting[] = [];
  for (const entry of entries) {
    const { task, info } = taskOf(r.plan, entry.task);
    if (task.disabled) {
      disabled.add(task.id);
      continue;
    }
    const run = r.visit(task, info, parent);
    if (run) runs.set(task.id, run);
    else waiting.push({ task, info, dependsOn: entry.dependsOn ?? [] });
  }
  const open = () => [...runs.values()].filter((run) => !isTerminal(run.state)).length;
  const failed = () => [...runs.values()].some((run) => isFailure(run.state));
  const satisfied = (id: string) => {
    const run = runs.get(id);
    return disabled.has(id) || (run !== undefined && isTerminal(run.state) && !isFailure(run.state));
  };
  // start what is ready; a task that ends at once (skipped, failed) may make others ready
  for (let started = true; started && !failed(); ) {
    started = false;
    for (const next of waiting) {
      if (runs.has(next.task.id) || !next.dependsOn.every(satisfied)) continue;
      if (limit > 0 && open() >= limit) break;
      runs.set(next.task.id, r.start(next.task, next.info, parent));
      started = true;
    }
  }
  if (open()) return { done: false };
  const states = [...runs.values()].map((run) => run.state);
  const blocked = waiting.filter((next) => !runs.has(next.task.id)).map((next) => next.task.id);
  if (blocked.length && !failed()) {
    return r.failWith(parent, `Dag task '${parent.taskId}': ${blocked.join(', ')} can never start`);
  }
  return { done: true, state: worstState(states) };
}
