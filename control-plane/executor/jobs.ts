// The job of one attempt of a runnable task run (what an agent runs), and the timer of a task's `timeout`.
import { type TaskDef, TaskKind } from '../../protocol/flow/index.ts';
import { isTerminal, newId } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { taskRunContext } from './context.ts';
import { EXECUTOR_ATTEMPTS } from './flowables/attempts.ts';
import { directoryOfJob, sharedDirectoryOf } from './flowables/working-directory.ts';
import type { FlowPlan } from './plan.ts';
import { renderDuration, renderWorkerGroup } from './rendering.ts';
import type { ExecutionState } from './state.ts';

/** The executor's number of the latest attempt it queued for a task run (0 before the first). */
export function currentAttempt(run: TaskRunRow): number {
  const attempt = run.meta?.attempt;
  return typeof attempt === 'number' ? attempt : 0;
}

/**
 * Queues the job of attempt `attempt` of a runnable task run, and arms its timeout. Fails the task run
 * (and returns false) when its worker group or timeout cannot be rendered.
 */
export function queueAttempt(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
): boolean {
  const info = plan.types.get(task.id);
  const resolved = EXECUTOR_ATTEMPTS[info?.type ?? ''];
  if (resolved) {
    if (!resolved(plan, state, run, task, attempt)) return false;
    // a flowable's timeout covers the whole task run and was armed when it started
    if (info?.kind === TaskKind.FLOWABLE || isTerminal(run.state)) return true;
    return armTimeout(state, run, task, attempt, taskRunContext(plan, state, task, run));
  }
  const context = taskRunContext(plan, state, task, run);
  const shared = sharedDirectoryOf(plan, state, run, task);
  const declared = shared ? shared.workerGroup : (task.workerGroup ?? plan.flow.workerGroup);
  const group = renderWorkerGroup(declared, context, task.id);
  if (group.error) {
    state.fail(run, group.error);
    return false;
  }
  state.patchMeta(run, { attempt });
  if (!armTimeout(state, run, task, attempt, context)) return false;
  state.jobs.push({
    id: newId(),
    executionId: state.execution.id,
    taskRunId: run.id,
    attempt,
    state: 'queued',
    workerGroup: group.key ?? null,
    fallback: group.fallback,
    waitUntil: group.maxWaitMs === undefined ? null : new Date(state.now.getTime() + group.maxWaitMs),
    slots: task.slots ?? 1,
    // left out: the repository applies the worker group's default
    ...(task.offline === undefined ? {} : { offline: task.offline }),
    pinnedAgentId: shared?.pinnedAgentId ?? null,
    payload: {
      task: task as Record<string, unknown>,
      // an agent sees its own environment as `envs`, not the control plane's
      context: withoutEnvs(context),
      ...(shared ? { workingDirectory: directoryOfJob(shared) } : {}),
    },
  });
  return true;
}

/**
 * Arms the timer of the task's `timeout`, counted from now: for a runnable task, the timeout of attempt
 * `attempt`; for a flowable task (attempt 0), of the whole task run. Fails the task run on a bad value.
 */
export function armTimeout(
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
  context: Record<string, unknown>,
): boolean {
  if (task.timeout === undefined) return true;
  const timeout = renderDuration(task.timeout, context, `task '${task.id}' timeout`);
  if (timeout.error !== undefined) {
    state.fail(run, timeout.error);
    return false;
  }
  state.timer(new Date(state.now.getTime() + timeout.value), { type: 'timeout', taskRunId: run.id, attempt });
  return true;
}

function withoutEnvs(context: Record<string, unknown>): Record<string, unknown> {
  const { envs: _envs, ...rest } = context;
  return rest;
}
