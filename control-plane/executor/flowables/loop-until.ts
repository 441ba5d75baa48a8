// LoopUntil (and its older name WaitFor): its children run one after another; once they all ended
// without failing, the `condition` is rendered, and unless it holds (or a maximum is reached) the next
// iteration starts after `checkFrequency.interval`, a durable timer. As in Kestra, an iteration replaces
// the task runs of the previous one (the count of task runs does not grow) and the loop's outputs carry
// `iterationCount`, from 1. Defaults are Kestra's current ones: interval PT1M, no maximum.
import type { TaskDef } from '../../../protocol/flow/index.ts';
import { isFailure, isTerminal, State } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { taskRunContext } from '../context.ts';
import type { ExecutorEvent } from '../events.ts';
import type { ListStatus, Reconciler } from '../reconcile.ts';
import { type Rendered, renderCondition, renderCount, renderDuration } from '../rendering.ts';
import type { ExecutionState } from '../state.ts';
import type { FlowableHandler } from './index.ts';

const DEFAULT_INTERVAL_MS = 60_000;

interface CheckFrequency {
  interval?: unknown;
  maxIterations?: unknown;
  maxDuration?: unknown;
}

/** The loop's limits, rendered once and kept in its meta. */
interface Limits {
  intervalMs: number;
  maxIterations: number | null;
  maxDurationMs: number | null;
  failOnMaxReached: boolean;
}

export const LOOP_UNTIL: FlowableHandler = (r, run, task) => {
  const limits = r.remember<Limits>(run, task, 'limits', (context) => limitsOf(task, context));
  if ('error' in limits) return r.failWith(run, limits.error);
  const { state } = r;
  if (run.meta?.iteration === undefined) {
    state.patchMeta(run, { iteration: 1 });
    state.updateRun(run, { outputs: { iterationCount: 1 } });
  }
  return r.guarded(run, () => iterate(r, run, task, limits.value), task.errors, task.finally);
};

function iterate(r: Reconciler, run: TaskRunRow, task: TaskDef, limits: Limits): ListStatus {
  const { state } = r;
  const iteration = run.meta?.iteration as number;
  if (run.meta?.waitingFor === iteration + 1) return { done: false };
  const status = r.list(task.tasks, run);
  if (!status.done || isFailure(status.state)) return status;
  const started = Date.parse(run.histories[0]?.date ?? state.now.toISOString());
  const reached =
    (limits.maxIterations !== null && iteration > limits.maxIterations) ||
    (limits.maxDurationMs !== null && state.now.getTime() > started + limits.maxDurationMs);
  if (reached) {
    state.log(run, 'WARN', `task '${task.id}': the maximum number of iterations or duration is reached`);
    return limits.failOnMaxReached ? { done: true, state: State.FAILED } : status;
  }
  const context = taskRunContext(r.plan, state, task, run);
  const condition = renderCondition(task.condition as string, context, `task '${task.id}' condition`);
  if (condition.error !== undefined) return r.failWith(run, condition.error);
  if (condition.value) return status;
  state.patchMeta(run, { waitingFor: iteration + 1 });
  state.timer(new Date(state.now.getTime() + limits.intervalMs), {
    type: 'loopDue',
    taskRunId: run.id,
    iteration: iteration + 1,
  });
  return { done: false };
}

/** A property rendered when present; null when absent. */
function optional<T>(value: unknown, produce: (value: unknown) => Rendered<T>): Rendered<T | null> {
  return value === undefined ? { value: null } : produce(value);
}

function limitsOf(task: TaskDef, context: Record<string, unknown>): Rendered<Limits> {
  const where = (name: string) => `task '${task.id}' ${name}`;
  const frequency = (task.checkFrequency ?? {}) as CheckFrequency;
  const interval = optional(frequency.interval, (v) =>
    renderDuration(v, context, where('checkFrequency.interval')),
  );
  if (interval.error !== undefined) return interval;
  const maxIterations = optional(frequency.maxIterations, (v) =>
    renderCount(v, context, where('checkFrequency.maxIterations'), 0),
  );
  if (maxIterations.error !== undefined) return maxIterations;
  const maxDuration = optional(frequency.maxDuration, (v) =>
    renderDuration(v, context, where('checkFrequency.maxDuration')),
  );
  if (maxDuration.error !== undefined) return maxDuration;
  const fail = optional(task.failOnMaxReached, (v) =>
    renderCondition(v as string | boolean, context, where('failOnMaxReached')),
  );
  if (fail.error !== undefined) return fail;
  return {
    value: {
      intervalMs: interval.value ?? DEFAULT_INTERVAL_MS,
      maxIterations: maxIterations.value,
      maxDurationMs: maxDuration.value,
      failOnMaxReached: fail.value ?? false,
    },
  };
}

/** The interval is over: the task runs of the last iteration are removed and the next one starts. */
export function startNextIteration(
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'loopDue' }>,
): void {
  const run = state.get(event.taskRunId);
  if (!run || isTerminal(run.state) || run.meta?.waitingFor !== event.iteration) return;
  state.removeBelow(run.id);
  state.patchMeta(run, { iteration: event.iteration, waitingFor: null });
  state.updateRun(run, { outputs: { iterationCount: event.iteration } });
}
