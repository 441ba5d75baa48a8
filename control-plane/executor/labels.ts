// Changing the labels of an ended execution, as Kestra's API does: the given labels are added or
// replace those with the same key; labels starting with `system.` belong to Roost and cannot be set.
import { isTerminal } from '../../protocol/index.ts';
import type { ExecutionRow } from '../repository/index.ts';

export interface LabelEntry {
  key: string;
  value: string;
}

/** The labels of a request body (a list of `{key, value}`), or why the body is refused. */
export function parseLabelList(body: unknown): { labels: LabelEntry[] } | { error: string } {
  if (!Array.isArray(body)) return { error: 'send the labels as a JSON list of {"key": ..., "value": ...}' };
  const labels: LabelEntry[] = [];
  for (const [index, item] of body.entries()) {
    const where = `labels[${index}]`;
    const { key, value } = (item ?? {}) as { key?: unknown; value?: unknown };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return { error: `${where} must be an object {"key": ..., "value": ...}` };
    }
    if (typeof key !== 'string' || key.trim() === '')
      return { error: `${where}.key must be a non-empty string` };
    if (typeof value !== 'string') return { error: `${where}.value of label '${key}' must be a string` };
    if (key.startsWith('system.')) {
      return {
        error: `${where}: label '${key}' starts with 'system.': system labels are set by Roost itself`,
      };
    }
    labels.push({ key, value });
  }
  return { labels };
}

/** Why the labels of the execution cannot change now, or undefined when they can. */
export function labelsRefusal(execution: Pick<ExecutionRow, 'id' | 'state' | 'labels'>): string | undefined {
  if (!isTerminal(execution.state)) {
    return `execution ${execution.id} is ${execution.state}: labels can be changed once the execution has ended`;
  }
  if (execution.labels['system.readOnly'] === 'true') {
    return `execution ${execution.id} is read-only (label system.readOnly)`;
  }
  return undefined;
}

export function withLabels(
  current: Record<string, string>,
  labels: readonly LabelEntry[],
): Record<string, string> {
  const merged = { ...current };
  for (const { key, value } of labels) merged[key] = value;
  return merged;
}
