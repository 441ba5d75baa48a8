// Replay: a new execution of an ended one, from a chosen task run (or from the start). Like Kestra, the
// new execution keeps the original's inputs, labels and chain (`originalId`), is labelled
// `system.replay`, and starts with copies of the task runs that came before the chosen one: the flowable
// task runs above it are open again (RUNNING), and the chosen one and everything after it run anew.
import { isTerminal, newId, State } from '../../protocol/index.ts';
import type { ExecutionRow, NewExecution, TaskRunRow } from '../repository/index.ts';

/** The label Kestra puts on an execution made by a replay. */
export const REPLAY_LABEL = 'system.replay';

export interface Replay {
  execution: NewExecution;
  taskRuns: TaskRunRow[];
}

/** Why the execution cannot be replayed from `taskRunId`, or undefined when it can. */
export function replayRefusal(
  execution: Pick<ExecutionRow, 'id' | 'state'>,
  taskRuns: readonly TaskRunRow[],
  taskRunId: string | undefined,
): { code: 'ROOST_CONFLICT' | 'ROOST_NOT_FOUND'; message: string } | undefined {
  if (!isTerminal(execution.state)) {
    return {
      code: 'ROOST_CONFLICT',
      message: `execution ${execution.id} is ${execution.state}: only an ended execution can be replayed`,
    };
  }
  if (taskRunId !== undefined && !taskRuns.some((run) => run.id === taskRunId)) {
    return {
      code: 'ROOST_NOT_FOUND',
      message: `task run ${taskRunId} is not a task run of execution ${execution.id}`,
    };
  }
  return undefined;
}

const created = (run: TaskRunRow) => [run.startDate.getTime(), run.id] as const;
const before = (a: TaskRunRow, b: TaskRunRow) => {
  const [at, aid] = created(a);
  const [bt, bid] = created(b);
  return at < bt || (at === bt && aid < bid);
};

/** The new execution and its copied task runs (new ids), ready to insert. */
export function replayOf(
  original: ExecutionRow,
  taskRuns: readonly TaskRunRow[],
  taskRunId: string | undefined,
  now: Date,
): Replay {
  const id = newId();
  const byId = new Map(taskRuns.map((run) => [run.id, run]));
  const chosen = taskRunId === undefined ? undefined : byId.get(taskRunId);
  const above = new Set<string>();
  for (let parent = chosen?.parentTaskRunId; parent; parent = byId.get(parent)?.parentTaskRunId) {
    above.add(parent);
  }
  const kept = chosen
    ? taskRuns.filter((run) => above.has(run.id) || (before(run, chosen) && !descendsFrom(run, chosen, byId)))
    : [];
  const ids = new Map(kept.map((run) => [run.id, newId()]));
  const copies = kept.map((run): TaskRunRow => {
    const copy: TaskRunRow = {
      ...run,
      id: ids.get(run.id)!,
      executionId: id,
      parentTaskRunId: run.parentTaskRunId === null ? null : (ids.get(run.parentTaskRunId) ?? null),
    };
    if (!above.has(run.id)) return copy;
    return {
      ...copy,
      state: State.RUNNING,
      histories: [...run.histories, { state: State.RUNNING, date: now.toISOString() }],
      outputs: null,
      endDate: null,
    };
  });
  return {
    execution: {
      id,
      namespace: original.namespace,
      flowId: original.flowId,
      flowRevision: original.flowRevision,
      state: State.CREATED,
      histories: [{ state: State.CREATED, date: now.toISOString() }],
      inputs: original.inputs,
      labels: { ...original.labels, [REPLAY_LABEL]: 'true' },
      trigger: original.trigger,
      parentId: original.parentId,
      originalId: original.originalId ?? original.id,
      attemptNumber: 1,
      startDate: now,
    },
    taskRuns: copies,
  };
}

function descendsFrom(run: TaskRunRow, ancestor: TaskRunRow, byId: ReadonlyMap<string, TaskRunRow>): boolean {
  for (let parent = run.parentTaskRunId; parent; parent = byId.get(parent)?.parentTaskRunId ?? null) {
    if (parent === ancestor.id) return true;
  }
  return false;
}
