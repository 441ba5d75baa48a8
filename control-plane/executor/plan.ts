// A flow prepared for execution: every task indexed by id with its plugin defaults applied.
import {
  applyPluginDefaults,
  type Flow,
  resolveTaskType,
  type TaskDef,
  type TaskTypeInfo,
} from '../../protocol/flow/index.ts';
import { walkTaskTree } from '../../protocol/flow/walk.ts';
import { State } from '../../protocol/index.ts';
import { EMPTY_HOST, type RenderHost } from './host.ts';

export interface FlowPlan {
  readonly flow: Flow;
  readonly revision: number;
  /** tasks by id, plugin defaults applied */
  readonly tasks: ReadonlyMap<string, TaskDef>;
  /** the canonical registry entry of each task, by task id */
  readonly types: ReadonlyMap<string, TaskTypeInfo>;
  /** what the executor's own renders see of the control plane: envs, globals, secrets */
  readonly host: RenderHost;
}

export function planFlow(flow: Flow, revision: number, host: RenderHost = EMPTY_HOST): FlowPlan {
  const tasks = new Map<string, TaskDef>();
  const types = new Map<string, TaskTypeInfo>();
  for (const walked of walkTaskTree(flow)) {
    const task = walked.task as TaskDef;
    if (typeof task.id !== 'string' || !walked.info) continue;
    tasks.set(task.id, applyPluginDefaults(flow, task));
    types.set(task.id, walked.info);
  }
  return { flow, revision, tasks, types, host };
}

/** The task's definition in the plan; throws if a list names a task the plan does not hold. */
export function taskOf(plan: FlowPlan, ref: unknown): { task: TaskDef; info: TaskTypeInfo } {
  const id = (ref as { id?: unknown } | null)?.id;
  const task = typeof id === 'string' ? plan.tasks.get(id) : undefined;
  const info = typeof id === 'string' ? plan.types.get(id) : undefined;
  if (!task || !info) throw new Error(`task ${String(id)} is not in the plan of the flow`);
  return { task, info };
}

/** A task's own `allowFailure` turns its failure into WARNING, and `allowWarning` its warning into SUCCESS. */
export function allowed(task: TaskDef, state: State): State {
  let result = state;
  if (result === State.FAILED && task.allowFailure) result = State.WARNING;
  if (result === State.WARNING && task.allowWarning) result = State.SUCCESS;
  return result;
}

export { resolveTaskType };
