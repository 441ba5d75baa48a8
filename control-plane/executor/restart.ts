// Restart: a FAILED or KILLED execution runs its failed task runs again, in the same execution. Like
// Kestra, the execution passes through RESTARTED, each failed runnable task run keeps its id and gets a
// new attempt (RESTARTED until an agent takes it), and the flowable task runs above go back to RUNNING;
// what never ran (after the failure, or cut short by a kill) is then created as usual.
import { TaskKind } from '../../protocol/flow/index.ts';
import { State } from '../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../repository/index.ts';
import { ancestorsOf } from './context.ts';
import { currentAttempt, queueAttempt } from './jobs.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** The states an execution may be restarted from (Kestra: a failed or killed execution). */
export const RESTARTABLE: ReadonlySet<State> = new Set<State>([State.FAILED, State.KILLED]);

/** The label Kestra puts on an execution that was restarted. */
export const RESTARTED_LABEL = 'system.restarted';

/** Why the execution cannot be restarted, or undefined when it can. */
export function restartRefusal(execution: Pick<ExecutionRow, 'id' | 'state'>): string | undefined {
  if (RESTARTABLE.has(execution.state)) return undefined;
  return `execution ${execution.id} is ${execution.state}: only a FAILED or KILLED execution can be restarted`;
}

const failed = (run: TaskRunRow) => run.state === State.FAILED || run.state === State.KILLED;

/**
 * The task runs to run again: every FAILED or KILLED task run whose parents all failed too. A failure
 * that a parent absorbed (an AllowFailure, a task with `allowFailure`) is left as it is.
 */
export function runsToRestart(state: ExecutionState): TaskRunRow[] {
  return [...state.allRuns()].filter((run) => failed(run) && ancestorsOf(state, run).every(failed));
}

export function applyRestart(plan: FlowPlan, state: ExecutionState): void {
  if (restartRefusal(state.execution)) return;
  state.setExecutionState(State.RESTARTED, {
    endDate: null,
    outputs: null,
    error: null,
    labels: { ...state.execution.labels, [RESTARTED_LABEL]: 'true' },
  });
  state.log(undefined, 'INFO', 'the execution was restarted');
  for (const run of runsToRestart(state)) {
    const task = plan.tasks.get(run.taskId);
    if (!task) continue;
    const reopened = { endDate: null, outputs: null };
    if (plan.types.get(run.taskId)?.kind === TaskKind.FLOWABLE) {
      state.setRunState(run, State.RUNNING, reopened);
      continue;
    }
    state.setRunState(run, State.RESTARTED, reopened);
    state.patchMeta(run, { retry: null });
    queueAttempt(plan, state, run, task, Math.max(run.attempts.length, currentAttempt(run)) + 1);
  }
}
