// Flowable tasks that pick one branch, once, on their first pass (kept in the task run's meta): If (`then`
// or `else`; false with no `else` runs nothing) and Switch (the case named by `value`, else `defaults`).
import { renderCondition, renderText } from '../rendering.ts';
import type { FlowableHandler } from './index.ts';

export const IF: FlowableHandler = (r, run, task) => {
  const branch = r.remember(run, task, 'branch', (context) => {
    const condition = task.condition as string | boolean;
    const rendered = renderCondition(condition, context, `task '${task.id}' condition`);
    return rendered.error !== undefined ? rendered : { value: rendered.value ? 'then' : 'else' };
  });
  if ('error' in branch) return r.failWith(run, branch.error);
  const tasks = branch.value === 'then' ? task.then : task.else;
  return r.withHandlers(tasks, task.errors, task.finally, run);
};

/** The Switch's choice: the rendered value, and the case it names (null: the `defaults`). */
interface SwitchChoice {
  value: string;
  case: string | null;
}

/** Outputs `value` and `defaults` (whether the defaults ran); no matching case and no defaults: FAILED. */
export const SWITCH: FlowableHandler = (r, run, task) => {
  const cases = (task.cases ?? {}) as Record<string, unknown>;
  const defaults = Array.isArray(task.defaults) && task.defaults.length ? task.defaults : undefined;
  const choice = r.remember<SwitchChoice>(run, task, 'switch', (context) => {
    const value = renderText(task.value, context, `task '${task.id}' value`);
    if (value.error !== undefined) return value;
    if (Object.hasOwn(cases, value.value)) return { value: { value: value.value, case: value.value } };
    if (defaults) return { value: { value: value.value, case: null } };
    return {
      error: `task '${task.id}': no case matches the value '${value.value}' and the Switch has no defaults`,
    };
  });
  if ('error' in choice) return r.failWith(run, choice.error);
  const { value, case: key } = choice.value;
  const tasks = key === null ? defaults : cases[key];
  const status = r.withHandlers(tasks, task.errors, task.finally, run);
  return status.done ? { ...status, outputs: { value, defaults: key === null } } : status;
};
