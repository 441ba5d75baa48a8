// Executions, task runs and logs in the JSON shapes of Kestra's API, so tools written for it read ours.
import type { Attempt, ExecutionRow, LogRow, StateHistory, TaskRunRow } from '../repository/index.ts';

function stateOf(current: string, histories: StateHistory[], startDate: Date, endDate: Date | null) {
  const state: Record<string, unknown> = { current, histories, startDate: startDate.toISOString() };
  if (endDate) {
    state.endDate = endDate.toISOString();
    state.duration = `PT${((endDate.getTime() - startDate.getTime()) / 1000).toFixed(3)}S`;
  }
  return state;
}

function attemptJson(attempt: Attempt) {
  const histories = [{ state: 'RUNNING', date: attempt.startDate }];
  if (attempt.endDate && attempt.state !== 'RUNNING')
    histories.push({ state: attempt.state, date: attempt.endDate });
  const state: Record<string, unknown> = { current: attempt.state, histories, startDate: attempt.startDate };
  if (attempt.endDate) state.endDate = attempt.endDate;
  return {
    state,
    ...(attempt.agentId ? { agentId: attempt.agentId } : {}),
    ...(attempt.error ? { error: attempt.error } : {}),
  };
}

export function taskRunJson(run: TaskRunRow, execution: ExecutionRow) {
  return {
    id: run.id,
    executionId: run.executionId,
    namespace: execution.namespace,
    flowId: execution.flowId,
    taskId: run.taskId,
    parentTaskRunId: run.parentTaskRunId,
    value: run.value,
    attempts: run.attempts.map(attemptJson),
    outputs: run.outputs ?? undefined,
    state: stateOf(run.state, run.histories, run.startDate, run.endDate),
  };
}

export function executionJson(execution: ExecutionRow, taskRuns: TaskRunRow[]) {
  return {
    id: execution.id,
    namespace: execution.namespace,
    flowId: execution.flowId,
    flowRevision: execution.flowRevision,
    state: stateOf(execution.state, execution.histories, execution.startDate, execution.endDate),
    inputs: execution.inputs,
    outputs: execution.outputs ?? undefined,
    labels: Object.entries(execution.labels).map(([key, value]) => ({ key, value })),
    taskRunList: taskRuns.map((run) => taskRunJson(run, execution)),
    trigger: execution.trigger ?? undefined,
    parentId: execution.parentId ?? undefined,
    originalId: execution.originalId ?? execution.id,
    metadata: {
      attemptNumber: execution.attemptNumber,
      originalCreatedDate: (execution.originalStartDate ?? execution.startDate).toISOString(),
    },
    error: execution.error ?? undefined,
  };
}

export function logJson(log: LogRow, execution: Pick<ExecutionRow, 'namespace' | 'flowId'>) {
  return {
    namespace: execution.namespace,
    flowId: execution.flowId,
    executionId: log.executionId,
    taskId: log.taskId ?? undefined,
    taskRunId: log.taskRunId ?? undefined,
    attemptNumber: log.attempt === null ? undefined : log.attempt - 1,
    timestamp: log.ts.toISOString(),
    level: log.level,
    message: log.message,
  };
}
