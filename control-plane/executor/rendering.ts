// Expressions the executor itself renders: conditions, worker group keys, durations, counts, loop
// values and flow outputs. Each returns a value or the message of why it could not.

import { render, renderDeep } from '../../protocol/expressions/index.ts';
import type { WorkerGroup } from '../../protocol/flow/index.ts';
import { parseIsoDuration } from '../../protocol/flow/index.ts';
import { executionContext } from './context.ts';
import { renderOptions } from './host.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

const FALSY = new Set(['', 'false', '0', '-0', 'null']);

/** Kestra's truthiness of a rendered condition: empty, "false", "0", "-0" and "null" are false. */
export function isTruthy(rendered: string): boolean {
  return !FALSY.has(rendered.trim().toLowerCase());
}

export type Rendered<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

function attempt<T>(produce: () => T): Rendered<T> {
  try {
    return { value: produce() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A string property rendered; numbers and booleans as written are turned into text. */
export function renderText(
  value: unknown,
  context: Record<string, unknown>,
  where: string,
): Rendered<string> {
  if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
  return attempt(() => render(String(value), context, renderOptions(context, where)));
}

/** An ISO-8601 duration property (possibly an expression), in milliseconds. */
export function renderDuration(
  value: unknown,
  context: Record<string, unknown>,
  where: string,
): Rendered<number> {
  const text = renderText(value, context, where);
  if (text.error !== undefined) return text;
  const ms = parseIsoDuration(text.value.trim());
  if (ms === undefined || ms < 0) return { error: `${where}: '${text.value}' is not an ISO-8601 duration` };
  return { value: ms };
}

/** A non-negative integer property (possibly an expression); `fallback` when absent. */
export function renderCount(
  value: unknown,
  context: Record<string, unknown>,
  where: string,
  fallback: number,
): Rendered<number> {
  if (value === undefined) return { value: fallback };
  if (typeof value === 'number') return { value };
  const text = renderText(value, context, where);
  if (text.error !== undefined) return text;
  const count = Number(text.value.trim());
  if (!Number.isInteger(count) || count < 0) {
    return { error: `${where}: '${text.value}' is not a whole number of 0 or more` };
  }
  return { value: count };
}

/**
 * The values of a loop as Kestra reads them: a list (its strings rendered), or a string (rendered, then
 * read as JSON). Items become strings, others their JSON; duplicates count once. A null fails the loop.
 */
export function renderLoopValues(
  values: unknown,
  context: Record<string, unknown>,
  where: string,
): Rendered<string[]> {
  const list = attempt(() => {
    if (Array.isArray(values)) return renderDeep(values, context, renderOptions(context, where)) as unknown[];
    const parsed: unknown = JSON.parse(render(String(values), context, renderOptions(context, where)));
    if (!Array.isArray(parsed)) throw new Error(`${where}: the values must be a list, not ${typeof parsed}`);
    return parsed;
  });
  if (list.error !== undefined) return list;
  if (list.value.some((item) => item === null || item === undefined)) {
    return { error: `Found '1' null values on Each, with values=${JSON.stringify(list.value)}` };
  }
  const strings = list.value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  return { value: [...new Set(strings)] };
}

export function renderCondition(
  condition: string | boolean,
  context: Record<string, unknown>,
  where: string,
): Rendered<boolean> {
  if (typeof condition === 'boolean') return { value: condition };
  return attempt(() => isTruthy(render(condition, context, renderOptions(context, where))));
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
    const key = render(group.key, context, renderOptions(context, `task '${taskId}' workerGroup.key`)).trim();
    const resolved: ResolvedGroup = { fallback: group.fallback ?? 'WAIT' };
    if (key) resolved.key = key;
    if (group.maxWait !== undefined) {
      resolved.maxWaitMs = parseIsoDuration(
        render(group.maxWait, context, renderOptions(context, `task '${taskId}' workerGroup.maxWait`)),
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
      outputs[output.id] = renderDeep(
        output.value,
        context,
        renderOptions(context, `flow output '${output.id}'`),
      );
    }
  } catch (error) {
    return { error: `flow outputs could not be rendered: ${(error as Error).message}` };
  }
  return { outputs };
}
