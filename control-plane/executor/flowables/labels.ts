// Labels: rendering a `labels` property (a map, a list of {key, value}, or an expression rendering to
// either), and the Labels task, which the executor resolves itself by merging them into the execution's
// labels. Keys starting with `system.` are Roost's own: a task may not set them (Kestra refuses them too).
import { render, renderDeep } from '../../../protocol/expressions/index.ts';
import type { TaskDef } from '../../../protocol/flow/index.ts';
import { State } from '../../../protocol/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import { taskRunContext } from '../context.ts';
import { renderOptions } from '../host.ts';
import { allowed, type FlowPlan } from '../plan.ts';
import type { Rendered } from '../rendering.ts';
import type { ExecutionState } from '../state.ts';

/** The labels a property names, rendered, as a map; an error names the task and the bad entry. */
export function renderLabels(
  labels: unknown,
  context: Record<string, unknown>,
  where: string,
): Rendered<Record<string, string>> {
  try {
    let value: unknown = labels;
    if (typeof value === 'string') {
      const text = render(value, context, renderOptions(context, where));
      try {
        value = JSON.parse(text);
      } catch {
        return { error: `${where}: '${text}' is neither a map nor a list of labels` };
      }
    }
    if (value === null || typeof value !== 'object') {
      return {
        error: `${where}: labels must be a map or a list of {key, value}, not ${JSON.stringify(value)}`,
      };
    }
    // a map's keys may be expressions too
    const entries: [unknown, unknown][] = Array.isArray(value)
      ? value.map((label) => [label?.key, label?.value])
      : Object.entries(value);
    for (const entry of entries) {
      if (typeof entry[0] === 'string') entry[0] = render(entry[0], context, renderOptions(context, where));
      entry[1] = renderDeep(entry[1], context, renderOptions(context, where));
    }
    const result: Record<string, string> = {};
    for (const [key, item] of entries) {
      if (typeof key !== 'string' || !key) {
        return { error: `${where}: a label has no key (${JSON.stringify(item)})` };
      }
      if (item === null || item === undefined) {
        return { error: `${where}: label '${key}' has no value` };
      }
      result[key] = typeof item === 'string' ? item : JSON.stringify(item);
    }
    return { value: result };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Keys a task may not set: Roost's own `system.` labels. */
export function systemKeys(labels: Record<string, string>): string[] {
  return Object.keys(labels).filter((key) => key.startsWith('system.'));
}

/**
 * Runs one attempt of a Labels task: its labels merge into the execution's (a key already there takes
 * the new value), and the task run ends SUCCESS; a label that cannot be rendered, or a `system.` one,
 * fails it and changes no label.
 */
export function runLabels(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
  attempt: number,
): boolean {
  const where = `task '${task.id}' labels`;
  const labels = renderLabels(task.labels, taskRunContext(plan, state, task, run), where);
  const reserved = labels.error === undefined ? systemKeys(labels.value) : [];
  const error =
    labels.error ??
    (reserved.length
      ? `${where}: ${reserved.join(', ')}: labels starting with 'system.' are set by Roost itself and cannot be changed`
      : undefined);
  state.patchMeta(run, { attempt });
  const date = state.now.toISOString();
  if (error !== undefined) {
    state.endAttempt(run, { state: State.FAILED, endDate: date, error: { message: error } });
    state.log(run, 'ERROR', error);
    state.setRunState(run, allowed(task, State.FAILED));
    return false;
  }
  state.patchExecution({ labels: { ...state.execution.labels, ...labels.value } });
  state.endAttempt(run, { state: State.SUCCESS, endDate: date });
  state.setRunState(run, allowed(task, State.SUCCESS));
  return true;
}
