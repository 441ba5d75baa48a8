// WorkingDirectory: its runnable children run one after another on one agent, in one directory. The
// first child's job goes to any agent of the WorkingDirectory's worker group; every later one is pinned
// to the agent that took it, and carries the WorkingDirectory's task run id, which names the directory
// on that agent. The last child removes the directory once it succeeds (the agent also drops stale ones).
// When that agent is lost, the child fails without retry, and so does the WorkingDirectory: its
// directory is gone with the agent. `inputFiles` are written into the directory when the agent makes it
// (before the first child runs); `outputFiles` are uploaded by the agent after the last child succeeds
// and become the WorkingDirectory's `outputFiles` output.
import type { TaskDef, WorkerGroup } from '../../../protocol/flow/index.ts';
import { DIRECTORY_OUTPUTS } from '../../../protocol/messages.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { type FlowPlan, taskOf } from '../plan.ts';
import type { ExecutionState } from '../state.ts';
import type { FlowableHandler } from './index.ts';

export const WORKING_DIRECTORY_TYPE = 'io.kestra.plugin.core.flow.WorkingDirectory';

/** Properties of Kestra's WorkingDirectory that need internal storage or caches Roost has not yet. */
const NOT_YET = ['namespaceFiles', 'cache'] as const;

export const WORKING_DIRECTORY: FlowableHandler = (r, run, task) => {
  const missing = NOT_YET.filter((property) => task[property] !== undefined);
  if (missing.length) {
    return r.failWith(
      run,
      `task '${task.id}': WorkingDirectory ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not supported by Roost yet`,
    );
  }
  return r.withHandlers(task.tasks, task.errors, task.finally, run);
};

/** Where a child of a WorkingDirectory runs: the shared directory, its agent once known, its group. */
export interface SharedDirectory {
  id: string;
  last: boolean;
  pinnedAgentId: string | null;
  workerGroup: WorkerGroup | undefined;
  /** the WorkingDirectory's `inputFiles` and `outputFiles`, as written */
  inputFiles?: unknown;
  outputFiles?: unknown;
}

/** The shared directory of a task run that is one of a WorkingDirectory's `tasks`; undefined otherwise. */
export function sharedDirectoryOf(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
): SharedDirectory | undefined {
  const parent = run.parentTaskRunId === null ? undefined : state.get(run.parentTaskRunId);
  if (!parent || plan.types.get(parent.taskId)?.type !== WORKING_DIRECTORY_TYPE) return undefined;
  const parentTask = plan.tasks.get(parent.taskId)!;
  const children = (Array.isArray(parentTask.tasks) ? parentTask.tasks : [])
    .map((ref) => taskOf(plan, ref).task)
    .filter((child) => !child.disabled);
  // errors and finally of the WorkingDirectory run as any task does
  if (!children.some((child) => child.id === task.id)) return undefined;
  let pinnedAgentId: string | null = null;
  for (const sibling of state.childrenOf(parent.id)) {
    const agentId = sibling.attempts.find((attempt) => attempt.agentId)?.agentId;
    if (agentId) {
      pinnedAgentId = agentId;
      break;
    }
  }
  return {
    id: parent.id,
    last: children.at(-1)?.id === task.id,
    pinnedAgentId,
    workerGroup: parentTask.workerGroup ?? plan.flow.workerGroup,
    ...(parentTask.inputFiles !== undefined ? { inputFiles: parentTask.inputFiles } : {}),
    ...(parentTask.outputFiles !== undefined ? { outputFiles: parentTask.outputFiles } : {}),
  };
}

/** What a job of a WorkingDirectory's child carries about the shared directory. */
export function directoryOfJob(shared: SharedDirectory): {
  id: string;
  last: boolean;
  inputFiles?: unknown;
  outputFiles?: unknown;
} {
  return {
    id: shared.id,
    last: shared.last,
    ...(shared.inputFiles !== undefined ? { inputFiles: shared.inputFiles } : {}),
    ...(shared.last && shared.outputFiles !== undefined ? { outputFiles: shared.outputFiles } : {}),
  };
}

/**
 * A result's outputs without the WorkingDirectory's own (the files its last child's agent collected),
 * which go to the WorkingDirectory's task run; from any other task run they are dropped.
 */
export function takeDirectoryOutputs(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  outputs: Record<string, unknown>,
): Record<string, unknown> {
  if (!outputs || !(DIRECTORY_OUTPUTS in outputs)) return outputs;
  const { [DIRECTORY_OUTPUTS]: own, ...rest } = outputs;
  const task = plan.tasks.get(run.taskId);
  const shared = task && sharedDirectoryOf(plan, state, run, task);
  const parent = shared?.last ? state.get(shared.id) : undefined;
  if (parent && own !== null && typeof own === 'object' && !Array.isArray(own)) {
    state.updateRun(parent, { outputs: { ...(parent.outputs ?? {}), ...(own as Record<string, unknown>) } });
  }
  return rest;
}

/** A child that lost the agent holding its directory is not retried: the directory went with it. */
export function lostItsDirectory(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  error: { code?: string } | undefined,
): boolean {
  const task = plan.tasks.get(run.taskId);
  return (
    error?.code === 'ROOST_AGENT_LOST' && task !== undefined && !!sharedDirectoryOf(plan, state, run, task)
  );
}
