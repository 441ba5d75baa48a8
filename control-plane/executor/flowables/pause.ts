// Pause: the task run and the execution wait, PAUSED, until a user resumes them (with the `onResume`
// inputs, validated) or the `delay` is over; then its `tasks` run, if it has any. A `timeout` that passes
// first fails it (see interrupts.ts).
import { type Flow, type TaskDef, validateInputValues } from '../../../protocol/flow/index.ts';
import { State } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { taskRunContext } from '../context.ts';
import { allowed, type FlowPlan } from '../plan.ts';
import { renderDuration } from '../rendering.ts';
import type { ExecutionState } from '../state.ts';
import type { FlowableHandler } from './index.ts';

const PAUSE_TYPE = 'io.kestra.plugin.core.flow.Pause';

export const PAUSE: FlowableHandler = (r, run, task) => {
  const { state } = r;
  if (run.meta?.pausedAt === undefined) {
    let delayMs: number | undefined;
    if (task.delay !== undefined) {
      const context = taskRunContext(r.plan, state, task, run);
      const delay = renderDuration(task.delay, context, `task '${task.id}' delay`);
      if (delay.error !== undefined) return r.failWith(run, delay.error);
      delayMs = delay.value;
    }
    state.patchMeta(run, { pausedAt: state.now.toISOString() });
    state.setRunState(run, State.PAUSED);
    if (delayMs !== undefined) {
      state.timer(new Date(state.now.getTime() + delayMs), { type: 'pauseEnded', taskRunId: run.id });
    }
    return { done: false };
  }
  if (run.state === State.PAUSED) return { done: false };
  return r.withHandlers(task.tasks, task.errors, task.finally, run);
};

const BEHAVIOR_STATES = { WARN: State.WARNING, FAIL: State.FAILED, CANCEL: State.CANCELLED } as const;

/** The delay is over: the Pause resumes (`behavior` RESUME, the default) or ends WARNING, FAILED or CANCELLED. */
export function endPauseDelay(plan: FlowPlan, state: ExecutionState, taskRunId: string): void {
  const run = state.get(taskRunId);
  const task = run && plan.tasks.get(run.taskId);
  if (!run || !task || run.state !== State.PAUSED) return;
  const behavior = (task.behavior as keyof typeof BEHAVIOR_STATES | 'RESUME' | undefined) ?? 'RESUME';
  if (behavior !== 'RESUME') {
    state.log(run, 'WARN', `task '${task.id}': the pause delay is over (behavior ${behavior})`);
    state.setRunState(run, allowed(task, BEHAVIOR_STATES[behavior]));
    return;
  }
  const { values, errors } = onResumeValues(task, {});
  for (const error of errors) state.log(run, 'WARN', `task '${task.id}' resumed after its delay: ${error}`);
  resumeRun(state, run, task.onResume !== undefined, values);
}

/**
 * Resumes every paused Pause of the execution (or only `taskRunId`). When the inputs break a rule of
 * an `onResume` declaration, nothing resumes and the errors are logged; they are also returned.
 */
export function resumePaused(
  plan: FlowPlan,
  state: ExecutionState,
  inputs: Record<string, unknown>,
  taskRunId?: string,
): string[] {
  const paused = pausedRuns(plan, state.allRuns(), taskRunId);
  if (!paused.length) {
    state.log(undefined, 'WARN', 'resume ignored: the execution has no paused task');
    return [];
  }
  const checked = paused.map(({ run, task }) => ({ run, task, ...onResumeValues(task, inputs) }));
  const errors = checked.flatMap((entry) => entry.errors);
  if (errors.length) {
    state.log(undefined, 'ERROR', `resume refused: ${errors.join('; ')}`);
    return errors;
  }
  for (const { run, task, values } of checked) resumeRun(state, run, task.onResume !== undefined, values);
  return [];
}

/** Why `inputs` cannot resume the paused execution (empty: they can); for the API to answer at once. */
export function resumeInputErrors(
  plan: FlowPlan,
  taskRuns: Iterable<TaskRunRow>,
  inputs: Record<string, unknown>,
  taskRunId?: string,
): string[] {
  return pausedRuns(plan, taskRuns, taskRunId).flatMap(({ task }) => onResumeValues(task, inputs).errors);
}

function pausedRuns(plan: FlowPlan, taskRuns: Iterable<TaskRunRow>, taskRunId?: string) {
  const found = [];
  for (const run of taskRuns) {
    if (run.state !== State.PAUSED || (taskRunId !== undefined && run.id !== taskRunId)) continue;
    const task = plan.tasks.get(run.taskId);
    if (task && plan.types.get(run.taskId)?.type === PAUSE_TYPE) found.push({ run, task });
  }
  return found;
}

function onResumeValues(task: TaskDef, inputs: Record<string, unknown>) {
  const declared = { inputs: (task.onResume ?? []) as Flow['inputs'] };
  const { values, errors } = validateInputValues(declared, inputs);
  return { values, errors: errors.map((error) => error.message) };
}

function resumeRun(
  state: ExecutionState,
  run: TaskRunRow,
  hasInputs: boolean,
  values: Record<string, unknown>,
) {
  state.setRunState(run, State.RUNNING, hasInputs ? { outputs: { onResume: values } } : {});
}
