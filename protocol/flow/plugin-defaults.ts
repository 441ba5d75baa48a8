// Kestra's pluginDefaults: values merged into every task (and nested plugin such as a taskRunner) whose
// type equals a default's type or starts with it. A task's own values win, unless the default is forced.
import type { TaskDef } from './schema-common.ts';
import type { Flow, PluginDefault } from './schema-flow.ts';
import { resolveTaskType } from './task-types.ts';
import { type DocumentObject, isDocumentObject } from './walk.ts';

/**
 * The task as it runs: its own properties over the matching defaults (the first listed default wins
 * among defaults), then forced defaults over everything (the first listed forced default wins).
 * Child tasks are left as they are: apply this to each task (see walkTasks), not once per tree.
 */
export function applyPluginDefaults(flow: Pick<Flow, 'pluginDefaults'>, task: TaskDef): TaskDef {
  const defaults = flow.pluginDefaults;
  if (!defaults || defaults.length === 0) return task;
  return withPluginDefaults(defaults, task) as TaskDef;
}

/** The same, for a task of a document that is still being validated. */
export function withPluginDefaults(defaults: readonly PluginDefault[], task: DocumentObject): DocumentObject {
  const info = typeof task.type === 'string' ? resolveTaskType(task.type) : undefined;
  const childSlots = new Set(info?.children.map((slot) => slot.property));
  const own: DocumentObject = {};
  for (const [key, value] of Object.entries(task))
    own[key] = childSlots.has(key) ? value : nested(defaults, value);
  return applyMatching(defaults, own);
}

/** Plugins nested in a task's properties (a taskRunner, a retry policy) get their defaults too. */
function nested(defaults: readonly PluginDefault[], value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => nested(defaults, item));
  if (!isDocumentObject(value)) return value;
  const result: DocumentObject = {};
  for (const [key, item] of Object.entries(value)) result[key] = nested(defaults, item);
  return applyMatching(defaults, result);
}

function applyMatching(defaults: readonly PluginDefault[], plugin: DocumentObject): DocumentObject {
  const type = plugin.type;
  if (typeof type !== 'string') return plugin;
  const matching = defaults.filter((entry) => typeMatches(entry.type, type));
  let result = plugin;
  for (const entry of matching) if (!entry.forced) result = deepMerge(entry.values, result);
  for (const entry of matching.reverse()) if (entry.forced) result = deepMerge(result, entry.values);
  return result;
}

/**
 * Kestra compares names (equal, or the default's type is a prefix). Roost also resolves aliases, so a
 * default written with an old name applies to a task written with the new one, and the other way round.
 */
export function typeMatches(defaultType: string, pluginType: string): boolean {
  if (pluginType.startsWith(defaultType)) return true;
  const plugin = resolveTaskType(pluginType);
  if (!plugin) return false;
  return plugin === resolveTaskType(defaultType) || plugin.type.startsWith(defaultType);
}

/**
 * Kestra's deep merge, `override` winning: maps merge key by key, lists are joined (the items of
 * `override` that `base` lacks come after those of `base`), a null in `override` keeps the base value.
 */
export function deepMerge(base: DocumentObject, override: DocumentObject): DocumentObject {
  const result: DocumentObject = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    if (value === null || value === undefined) continue;
    const merged =
      isDocumentObject(current) && isDocumentObject(value)
        ? deepMerge(current, value)
        : Array.isArray(current) && Array.isArray(value)
          ? joinLists(current, value)
          : structuredClone(value);
    // defined, not assigned: a key named __proto__ stays a plain property
    Object.defineProperty(result, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

function joinLists(base: readonly unknown[], extra: readonly unknown[]): unknown[] {
  const seen = new Set(base.map((item) => JSON.stringify(item)));
  return [
    ...base,
    ...extra.filter((item) => !seen.has(JSON.stringify(item))).map((item) => structuredClone(item)),
  ];
}
