// The variables a task's expressions are rendered with, as Kestra names them: `outputs` indexed by the
// values of enclosing loops, `parent`/`parents` for the task runs above, `taskrun` and `task`.
import type { TaskDef } from '../../protocol/flow/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { RENDER_HOST } from './host.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** The task runs above `run`, closest first. */
export function ancestorsOf(state: ExecutionState, run: TaskRunRow): TaskRunRow[] {
  const found: TaskRunRow[] = [];
  for (let id = run.parentTaskRunId; id !== null; ) {
    const parent = state.get(id);
    if (!parent) break;
    found.push(parent);
    id = parent.parentTaskRunId;
  }
  return found;
}

const hasOutputs = (run: TaskRunRow): run is TaskRunRow & { outputs: Record<string, unknown> } =>
  run.outputs !== null && Object.keys(run.outputs).length > 0;

const cache = new WeakMap<ExecutionState, { version: number; outputs: Record<string, unknown> }>();

/**
 * Outputs of task runs keyed by task id, then by the values of the enclosing loops, outermost first, then
 * by the run's own value: `outputs.t['v1']['v2']`. Built once per decision and again only after a task
 * run's outputs change.
 */
export function outputsOf(state: ExecutionState): Record<string, unknown> {
  const cached = cache.get(state);
  if (cached && cached.version === state.outputsVersion) return cached.outputs;
  const outputs: Record<string, unknown> = {};
  for (const run of state.allRuns()) {
    if (!hasOutputs(run)) continue;
    const path = ancestorsOf(state, run)
      .flatMap((parent) => (parent.value === null ? [] : [parent.value]))
      .reverse();
    if (run.value !== null) path.push(run.value);
    const last = path.pop();
    if (last === undefined) {
      outputs[run.taskId] = run.outputs;
      continue;
    }
    let node = nested(outputs, run.taskId);
    for (const key of path) node = nested(node, key);
    node[last] = run.outputs;
  }
  cache.set(state, { version: state.outputsVersion, outputs });
  return outputs;
}

function nested(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
    return existing as Record<string, unknown>;
  }
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

/** Kestra's `parents`: the task runs above, closest first, those with a value or outputs only. */
export function parentsOf(state: ExecutionState, run: TaskRunRow): Record<string, unknown>[] {
  const parents: Record<string, unknown>[] = [];
  for (const parent of ancestorsOf(state, run)) {
    const entry: Record<string, unknown> = {};
    if (parent.value !== null) entry.taskrun = { value: parent.value };
    if (hasOutputs(parent)) entry.outputs = parent.outputs;
    if (Object.keys(entry).length) parents.push(entry);
  }
  return parents;
}

/** The labels as Kestra's expressions see them: `labels.system.correlationId` reaches 'system.correlationId'. */
function labelsView(labels: Record<string, string>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...labels };
  for (const [key, value] of Object.entries(labels)) {
    const path = key.split('.');
    if (path.length < 2 || path.some((part) => !part)) continue;
    let node = view;
    for (const part of path.slice(0, -1)) node = nested(node, part);
    node[path.at(-1)!] = value;
  }
  return view;
}

export function executionContext(plan: FlowPlan, state: ExecutionState): Record<string, unknown> {
  const execution = state.execution;
  const context: Record<string, unknown> = {
    flow: { id: plan.flow.id, namespace: plan.flow.namespace, revision: plan.revision },
    execution: {
      id: execution.id,
      startDate: execution.startDate.toISOString(),
      originalId: execution.originalId ?? execution.id,
      state: execution.state,
    },
    inputs: execution.inputs,
    outputs: outputsOf(state),
    vars: plan.flow.variables ?? {},
    labels: labelsView(execution.labels),
    envs: plan.host.envs,
    globals: plan.host.globals,
    [RENDER_HOST]: plan.host,
  };
  if (execution.trigger) context.trigger = execution.trigger;
  return context;
}

/** The context of one task run: the execution's, plus `task`, `taskrun`, `parent` and `parents`. */
export function taskRunContext(
  plan: FlowPlan,
  state: ExecutionState,
  task: TaskDef,
  run: TaskRunRow,
): Record<string, unknown> {
  const taskrun: Record<string, unknown> = {
    id: run.id,
    startDate: run.startDate.toISOString(),
    attemptsCount: run.attempts.length,
  };
  if (run.value !== null) taskrun.value = run.value;
  // the children of a LoopUntil carry the number of its current iteration, as in Kestra
  const loop = run.parentTaskRunId === null ? undefined : state.get(run.parentTaskRunId)?.meta?.iteration;
  if (typeof loop === 'number') taskrun.iteration = loop;
  if (run.parentTaskRunId !== null) taskrun.parentId = run.parentTaskRunId;
  const context = { ...executionContext(plan, state), task: { id: task.id, type: task.type }, taskrun };
  const parents = parentsOf(state, run);
  return parents.length ? { ...context, parents, parent: parents[0] } : { ...context, parents };
}
