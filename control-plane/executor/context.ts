// The variables a task's expressions are rendered with, as Kestra names them.
import type { TaskDef } from '../../protocol/flow/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** Outputs of finished task runs, keyed by task id (and by loop value for runs inside loops). */
export function outputsOf(state: ExecutionState): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  for (const run of state.allRuns()) {
    if (!run.outputs) continue;
    if (run.value === null) {
      outputs[run.taskId] = run.outputs;
    } else {
      const byValue = (outputs[run.taskId] ?? {}) as Record<string, unknown>;
      byValue[run.value] = run.outputs;
      outputs[run.taskId] = byValue;
    }
  }
  return outputs;
}

export function executionContext(plan: FlowPlan, state: ExecutionState): Record<string, unknown> {
  const execution = state.execution;
  const context: Record<string, unknown> = {
    flow: { id: plan.flow.id, namespace: plan.flow.namespace, revision: plan.revision },
    execution: {
      id: execution.id,
      startDate: execution.startDate.toISOString(),
      originalId: execution.id,
      state: execution.state,
    },
    inputs: execution.inputs,
    outputs: outputsOf(state),
    vars: plan.flow.variables ?? {},
    labels: execution.labels,
  };
  if (execution.trigger) context.trigger = execution.trigger;
  return context;
}

/** The context of one task run: the execution's, plus `task` and `taskrun`. */
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
  if (run.parentTaskRunId !== null) taskrun.parentId = run.parentTaskRunId;
  return { ...executionContext(plan, state), task: { id: task.id, type: task.type }, taskrun };
}
