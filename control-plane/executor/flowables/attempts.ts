// Tasks of the runnable kind that the executor resolves itself instead of queueing a job for an agent:
// each attempt is handled here (by canonical type), so retries and timeouts work as for any runnable.
import type { TaskDef } from '../../../protocol/flow/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import type { FlowPlan } from '../plan.ts';
import type { ExecutionState } from '../state.ts';
import { runLabels } from './labels.ts';
import { SLEEP_TYPE, startSleep } from './sleep.ts';
import { FLOW_TASK_TYPE, SUBFLOW_TYPE, startChild } from './subflow.ts';

/** Starts attempt `attempt` of the task run; false when it failed at once. */
export type AttemptHandler = (
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
) => boolean;

export const EXECUTOR_ATTEMPTS: Readonly<Record<string, AttemptHandler>> = {
  [SLEEP_TYPE]: startSleep,
  'io.kestra.plugin.core.execution.Labels': runLabels,
  // a Subflow's retry is a new attempt with a new child execution
  [SUBFLOW_TYPE]: startChild,
  [FLOW_TASK_TYPE]: startChild,
};
