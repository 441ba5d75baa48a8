// Expressions the executor itself renders: runIf conditions, worker group keys, flow outputs.

import { render, renderDeep } from '../../protocol/expressions/index.ts';
import type { WorkerGroup } from '../../protocol/flow/index.ts';
import { parseIsoDuration } from '../../protocol/flow/index.ts';
import { executionContext } from './context.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** Kestra's truthiness of a rendered condition: empty, "false", "0" and "null" are false. */
export function isTruthy(rendered: string): boolean {
  const text = rendered.trim().toLowerCase();
  return !(text === '' || text === 'false' || text === '0' || text === 'null');
}

export function renderCondition(
  condition: string | boolean,
  context: Record<string, unknown>,
  where: string,
): { value: boolean; error?: undefined } | { value?: undefined; error: string } {
  if (typeof condition === 'boolean') return { value: condition };
  try {
    return { value: isTruthy(render(condition, context, { where })) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export interface ResolvedGroup {
  key?: string;
  fallback: 'WAIT' | 'FAIL' | 'CANCEL';
  maxWaitMs?: number;
  error?: string;
}

export function renderWorkerGroup(
  group: WorkerGroup | undefined,
  context: Record<string, unknown>,
  taskId: string,
): ResolvedGroup {
  if (!group) return { fallback: 'WAIT' };
  try {
    const key = render(group.key, context, { where: `task '${taskId}' workerGroup.key` }).trim();
    const resolved: ResolvedGroup = { fallback: group.fallback ?? 'WAIT' };
    if (key) resolved.key = key;
    if (group.maxWait !== undefined) {
      resolved.maxWaitMs = parseIsoDuration(
        render(group.maxWait, context, { where: `task '${taskId}' workerGroup.maxWait` }),
      );
    }
    return resolved;
  } catch (error) {
    return { fallback: 'WAIT', error: (error as Error).message };
  }
}

/** Renders the flow's `outputs`; a failure leaves the execution with no outputs. */
export function renderFlowOutputs(
  plan: FlowPlan,
  state: ExecutionState,
): { outputs?: Record<string, unknown>; error?: string } {
  const declared = plan.flow.outputs;
  if (!declared?.length) return {};
  const context = executionContext(plan, state);
  const outputs: Record<string, unknown> = {};
  try {
    for (const output of declared) {
      outputs[output.id] = renderDeep(output.value, context, { where: `flow output '${output.id}'` });
    }
  } catch (error) {
    return { error: `flow outputs could not be rendered: ${(error as Error).message}` };
  }
  return { outputs };
}
