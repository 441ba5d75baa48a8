// Loops: ForEach (iterations at most `concurrencyLimit` at once, default 1, 0 = all; the children of one
// iteration one after another) and the older EachSequential and EachParallel (every child of every value
// as one flat list). A loop adds no task run per iteration: each child's task run carries the value.
// The values are rendered once, on the loop's first pass, and kept in its meta.
import type { TaskDef } from '../../../protocol/flow/index.ts';
import { TaskKind } from '../../../protocol/flow/index.ts';
import { isFailure, State, worstState } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { taskOf } from '../plan.ts';
import type { ListEntry, ListStatus, Reconciler } from '../reconcile.ts';
import { renderLoopValues } from '../rendering.ts';
import type { FlowableHandler } from './index.ts';
import { concurrencyOf } from './lists.ts';

function loopValues(r: Reconciler, run: TaskRunRow, task: TaskDef, property: string) {
  return r.remember<string[]>(run, task, 'values', (context) =>
    renderLoopValues(task[property], context, `task '${task.id}' ${property}`),
  );
}

export const FOR_EACH: FlowableHandler = (r, run, task) => {
  const values = loopValues(r, run, task, 'values');
  if ('error' in values) return r.failWith(run, values.error);
  const limit = concurrencyOf(r, run, task, 'concurrencyLimit', 1);
  if ('error' in limit) return r.failWith(run, limit.error);
  const main = () => iterations(r, run, task.tasks, values.value, limit.value);
  return r.guarded(run, main, task.errors, task.finally);
};

export const EACH_SEQUENTIAL: FlowableHandler = (r, run, task) => {
  const values = loopValues(r, run, task, 'value');
  if ('error' in values) return r.failWith(run, values.error);
  const main = () => r.walk(everyPair(task.tasks, values.value), run, 1);
  return r.guarded(run, main, task.errors, task.finally);
};

export const EACH_PARALLEL: FlowableHandler = (r, run, task) => {
  const values = loopValues(r, run, task, 'value');
  if ('error' in values) return r.failWith(run, values.error);
  const concurrent = concurrencyOf(r, run, task, 'concurrent', 0);
  if ('error' in concurrent) return r.failWith(run, concurrent.error);
  const main = () => r.walk(everyPair(task.tasks, values.value), run, concurrent.value);
  return r.guarded(run, main, task.errors, task.finally);
};

function everyPair(tasks: unknown, values: readonly string[]): ListEntry[] {
  const refs: unknown[] = Array.isArray(tasks) ? tasks : [];
  return values.flatMap((value) => refs.map((ref) => ({ ref, value })));
}

/**
 * How far a ForEach got in an earlier decision: its first `done` iterations are over. `waiting` holds,
 * for iterations of one runnable task that were waiting then (created or running), that task run's id,
 * by the iteration's index, as the state's change clock read `at`: until the run changes, so does not
 * the iteration, and the pass need not look at it again (with `concurrencyLimit: 0` a ForEach of 1,000
 * values has most of them waiting at each of its results).
 */
interface Finished {
  done: number;
  worst: State;
  failed: boolean;
  at: number;
  waiting: Map<number, string>;
}

/**
 * Runs each value's children one after another, at most `limit` values at once (0 = all). Iterations
 * start in the order of the values; after a failed one, no new iteration starts (those one pass starts
 * are started together, as in Kestra). The leading iterations that are over are remembered between
 * decisions (until a finished task run opens again), so a pass costs what is still open, not the length
 * of the list.
 */
function iterations(
  r: Reconciler,
  run: TaskRunRow,
  tasks: unknown,
  values: readonly string[],
  limit: number,
): ListStatus {
  const refs: unknown[] = Array.isArray(tasks) ? tasks : [];
  const children = refs.map((ref) => taskOf(r.plan, ref));
  const first = children.find(({ task }) => !task.disabled)?.task;
  // each iteration is one runnable task run: whether it waits can be told from that run alone
  const single = children.length === 1 && first !== undefined && children[0]!.info.kind === TaskKind.RUNNABLE;
  const memoKey = `forEach:${run.id}`;
  const before = r.state.recall<Finished>(memoKey);
  const waiting = new Map<number, string>();
  const states: State[] = before ? [before.worst] : [];
  let failed = before?.failed ?? false;
  let active = 0;
  // the iterations before `prefix` are all over
  let prefix = before?.done ?? 0;
  let prefixFailed = failed;
  for (let index = prefix; index < values.length; index++) {
    const known = before?.waiting.get(index);
    if (known !== undefined && !r.state.changedSince(known, before!.at)) {
      waiting.set(index, known);
      active++;
      continue;
    }
    const value = values[index]!;
    const child = first && r.state.find(run.id, first.id, value);
    const started = child !== undefined;
    if (!started && (failed || (limit > 0 && active >= limit))) break;
    const status = r.list(refs, run, 1, value);
    if (!status.done) {
      active++;
      const waitingOn = single ? (child ?? r.state.find(run.id, first!.id, value)) : undefined;
      if (waitingOn && (waitingOn.state === State.CREATED || waitingOn.state === State.RUNNING))
        waiting.set(index, waitingOn.id);
      continue;
    }
    // an iteration that started in this pass and failed at once does not hold back its siblings
    if (isFailure(status.state)) failed ||= started;
    states.push(status.state);
    if (index === prefix && started) {
      prefix++;
      prefixFailed = failed;
    }
  }
  const prefixStates = states.slice(0, (before ? 1 : 0) + prefix - (before?.done ?? 0));
  r.state.note(memoKey, {
    done: prefix,
    worst: worstState(prefixStates),
    failed: prefixFailed,
    at: r.state.clock,
    waiting,
  });
  return active ? { done: false } : { done: true, state: worstState(states) };
}
