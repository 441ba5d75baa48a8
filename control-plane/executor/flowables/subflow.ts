// Subflow (and its older form Flow): each attempt starts an execution of another flow, created in the
// same transaction as the decision. With `wait` the task run waits for the child's end, which the child's
// own decision sends back as a `subflowEnded` event; without, it succeeds once the child exists. Killing
// the task run (or the parent execution) kills the running child.
import { renderDeep } from '../../../protocol/expressions/index.ts';
import { type Flow, flowLabels, type TaskDef, validateInputValues } from '../../../protocol/flow/index.ts';
import { isTerminal, newId, type ResultState, State } from '../../../protocol/index.ts';
import type { ExecutionRow, TaskRunRow } from '../../repository/index.ts';
import { awaitingRetry, settleAttempt } from '../attempts.ts';
import { executionContext, taskRunContext } from '../context.ts';
import type { ExecutorEvent } from '../events.ts';
import { renderOptions } from '../host.ts';
import { currentAttempt } from '../jobs.ts';
import { allowed, type FlowPlan } from '../plan.ts';
import { renderCondition, renderCount, renderText } from '../rendering.ts';
import type { ExecutionState } from '../state.ts';
import type { FlowableHandler } from './index.ts';
import { renderLabels, systemKeys } from './labels.ts';

export const SUBFLOW_TYPE = 'io.kestra.plugin.core.flow.Subflow';
/** The older Flow task: `wait` and `transmitFailed` default to false. */
export const FLOW_TASK_TYPE = 'io.kestra.plugin.core.flow.Flow';
const CORRELATION_LABEL = 'system.correlationId';

/** Starts the first attempt on the first pass; then waits for the child's end (see applySubflowEnded). */
export const SUBFLOW: FlowableHandler = (r, run, task) => {
  if (currentAttempt(run) === 0 && !awaitingRetry(run)) startChild(r.plan, r.state, run, task, 1);
  return { done: false };
};

/** A property of the task rendered as a boolean, with its default. */
function flag(task: TaskDef, name: string, fallback: boolean, context: Record<string, unknown>) {
  const value = task[name];
  if (value === undefined) return { value: fallback };
  return renderCondition(value as string | boolean, context, `task '${task.id}' ${name}`);
}

const defaultsOf = (plan: FlowPlan, task: TaskDef) => plan.types.get(task.id)?.type !== FLOW_TASK_TYPE;

/**
 * Attempt `attempt` of a Subflow task run: renders what the child needs, checks its flow and inputs, and
 * adds the child execution to the decision. Returns false when the task run failed instead.
 */
export function startChild(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
): boolean {
  const context = taskRunContext(plan, state, task, run);
  const where = (property: string) => `task '${task.id}' ${property}`;
  const fail = (message: string) => {
    state.patchMeta(run, { attempt });
    state.log(run, 'ERROR', message);
    state.setRunState(run, allowed(task, State.FAILED));
    return false;
  };
  if (task.scheduleDate !== undefined) return fail(`${where('scheduleDate')} is not supported by Roost yet`);
  const namespace = renderText(task.namespace, context, where('namespace'));
  if (namespace.error !== undefined) return fail(namespace.error);
  const flowId = renderText(task.flowId, context, where('flowId'));
  if (flowId.error !== undefined) return fail(flowId.error);
  const revision =
    task.revision === undefined ? undefined : renderCount(task.revision, context, where('revision'), 0);
  if (revision?.error !== undefined) return fail(revision.error);
  const wait = flag(task, 'wait', defaultsOf(plan, task), context);
  if (wait.error !== undefined) return fail(wait.error);
  const inherit = flag(task, 'inheritLabels', false, context);
  if (inherit.error !== undefined) return fail(inherit.error);
  let inputs: Record<string, unknown> = {};
  try {
    inputs = (renderDeep(task.inputs ?? {}, context, renderOptions(context, where('inputs'))) ??
      {}) as Record<string, unknown>;
  } catch (error) {
    return fail((error as Error).message);
  }
  const taskLabels =
    task.labels === undefined ? { value: {} } : renderLabels(task.labels, context, where('labels'));
  if (taskLabels.error !== undefined) return fail(taskLabels.error);
  const reserved = systemKeys(taskLabels.value);
  if (reserved.length) {
    return fail(
      `${where('labels')}: ${reserved.join(', ')}: labels starting with 'system.' are set by Roost itself`,
    );
  }

  const name = `${namespace.value}.${flowId.value}${revision ? ` revision ${revision.value}` : ''}`;
  const stored = state.flows(namespace.value, flowId.value, revision?.value);
  if (!stored)
    return fail(
      `task '${task.id}': the subflow ${name} does not exist (namespace '${namespace.value}', flowId '${flowId.value}')`,
    );
  const flow: Flow = stored.flow;
  if (flow.disabled) return fail(`task '${task.id}': the subflow ${name} is disabled`);
  const checked = validateInputValues(flow, inputs);
  if (checked.errors.length) {
    return fail(
      `task '${task.id}': the inputs of subflow ${name} are invalid: ${checked.errors.map((e) => e.message).join('; ')}`,
    );
  }

  const parent = state.execution;
  const labels: Record<string, string> = {};
  for (const { key, value } of flowLabels(flow)) labels[key] = value;
  if (inherit.value) {
    for (const [key, value] of Object.entries(parent.labels))
      if (!key.startsWith('system.')) labels[key] = value;
  }
  Object.assign(labels, taskLabels.value);
  labels[CORRELATION_LABEL] = parent.labels[CORRELATION_LABEL] ?? parent.id;
  const date = state.now.toISOString();
  const child: ExecutionRow = {
    id: newId(),
    namespace: stored.namespace,
    flowId: stored.flowId,
    flowRevision: stored.revision,
    state: State.CREATED,
    histories: [{ state: State.CREATED, date }],
    inputs: checked.values,
    outputs: null,
    labels,
    trigger: {
      id: task.id,
      type: plan.types.get(task.id)?.type ?? SUBFLOW_TYPE,
      variables: {
        executionId: parent.id,
        namespace: parent.namespace,
        flowId: parent.flowId,
        flowRevision: parent.flowRevision,
        taskRunId: run.id,
      },
    },
    parentId: parent.id,
    originalId: null,
    attemptNumber: 1,
    originalStartDate: null,
    error: null,
    version: 1,
    startDate: state.now,
    endDate: null,
  };
  state.executions.push({ execution: child });
  state.patchMeta(run, { attempt, childExecutionId: child.id, wait: wait.value });
  state.updateRun(run, { attempts: [...run.attempts, { state: State.RUNNING, startDate: date }] });
  state.setRunState(run, State.RUNNING);
  state.log(run, 'INFO', `started subflow ${stored.namespace}.${stored.flowId} as execution ${child.id}`);
  if (!wait.value) {
    state.endAttempt(run, { state: State.SUCCESS, endDate: date });
    state.setRunState(run, allowed(task, State.SUCCESS), { outputs: { executionId: child.id } });
  }
  return true;
}

/**
 * The child ended: the task run takes its state (with `transmitFailed`, a FAILED, KILLED or WARNING
 * child passes its state on; otherwise SUCCESS), with outputs `executionId`, `state` and `outputs` (the
 * child flow's outputs, or the task's `outputs` rendered with the child's variables). A failure may be
 * retried, with a new child.
 */
export function applySubflowEnded(
  plan: FlowPlan,
  state: ExecutionState,
  event: Extract<ExecutorEvent, { type: 'subflowEnded' }>,
): void {
  const run = state.get(event.taskRunId);
  const task = run && plan.tasks.get(run.taskId);
  if (!run || !task || isTerminal(run.state) || run.meta?.childExecutionId !== event.executionId) return;
  const context = taskRunContext(plan, state, task, run);
  const transmit = flag(task, 'transmitFailed', defaultsOf(plan, task), context);
  let result: ResultState =
    transmit.value &&
    (event.state === State.FAILED || event.state === State.KILLED || event.state === State.WARNING)
      ? event.state
      : State.SUCCESS;
  const outputs: Record<string, unknown> = { executionId: event.executionId, state: event.state };
  let error: string | undefined = transmit.error;
  if (event.outputs) outputs.outputs = event.outputs;
  else if (task.outputs !== undefined && event.context) {
    try {
      outputs.outputs = renderDeep(
        task.outputs,
        event.context,
        renderOptions(context, `task '${task.id}' outputs`),
      );
    } catch (failure) {
      error = `task '${task.id}': the outputs of the subflow could not be rendered: ${(failure as Error).message}`;
    }
  }
  if (error !== undefined) {
    state.log(run, 'ERROR', error);
    result = State.FAILED;
  }
  state.endAttempt(run, {
    state: result,
    endDate: state.now.toISOString(),
    ...(error === undefined ? {} : { error: { message: error } }),
  });
  settleAttempt(plan, state, run, result, outputs, currentAttempt(run));
}

/** A Subflow task run that is killed or times out while it waits: its child is killed too. */
export function killChild(state: ExecutionState, run: TaskRunRow): void {
  const child = run.meta?.childExecutionId;
  if (typeof child !== 'string' || run.meta?.wait === false || isTerminal(run.state)) return;
  state.messages.push({ executionId: child, event: { type: 'kill' } });
}

/**
 * When this decision ends an execution that a Subflow started, its parent is told (state, outputs, and
 * the child's variables when its flow declares no outputs).
 */
export function notifyParent(plan: FlowPlan, state: ExecutionState): void {
  const execution = state.execution;
  const variables = (execution.trigger as { variables?: { taskRunId?: unknown } } | null)?.variables;
  if (!execution.parentId || typeof variables?.taskRunId !== 'string') return;
  const event: ExecutorEvent = {
    type: 'subflowEnded',
    taskRunId: variables.taskRunId,
    executionId: execution.id,
    state: execution.state,
    outputs: execution.outputs ?? null,
  };
  if (!plan.flow.outputs?.length) event.context = executionContext(plan, state);
  state.messages.push({ executionId: execution.parentId, event });
}
