// The rules Kestra applies beyond the shape of each object: unique ids, Dag dependencies, Switch
// branches, WorkingDirectory children, subflows calling their own flow, reserved labels.
import { type DocumentPath, formatPath, type IssueCollector, type PathSegment } from './issues.ts';
import { TaskKind } from './task-type.ts';
import { CHILD_FLOW_TYPES, DAG, SWITCH } from './types-flowable.ts';
import { type DocumentObject, isDocumentObject, walkTaskTree } from './walk.ts';

export interface RuleOptions {
  allowPlanned: boolean;
}

export function checkRules(document: DocumentObject, issues: IssueCollector, options: RuleOptions): void {
  const tasks = [...walkTaskTree(document)].map(({ task, path }) => ({ object: task, path }));
  checkUniqueIds(issues, 'ROOST_FLOW_DUPLICATE_ID', 'task', tasks);
  checkUniqueIds(issues, 'ROOST_FLOW_INVALID', 'trigger', listed(document.triggers, ['triggers']));
  checkUniqueIds(issues, 'ROOST_FLOW_INVALID', 'output', listed(document.outputs, ['outputs']));
  checkSystemLabels(document.labels, issues);
  if (!options.allowPlanned) checkPlannedFeatures(document, issues);
  for (const { task, path, info, slot, parentType } of walkTaskTree(document)) {
    const where = formatPath(path);
    if (slot?.onlyRunnable && info?.kind === TaskKind.FLOWABLE) {
      const parent = parentType?.split('.').pop();
      issues.add(
        'ROOST_FLOW_INVALID',
        [...path, 'type'],
        `${where}: a ${parent} runs only runnable tasks, and ${info.type} is flowable`,
      );
    }
    if (info?.type === DAG.type) checkDag(task, path, issues);
    if (info?.type === SWITCH.type) checkSwitch(task, path, issues);
    if (
      info &&
      CHILD_FLOW_TYPES.has(info.type) &&
      task.namespace === document.namespace &&
      task.flowId === document.id
    ) {
      const flow = `${String(document.namespace)}.${String(document.id)}`;
      issues.add(
        'ROOST_FLOW_INVALID',
        path,
        `${where} starts its own flow ${flow} as a subflow: recursive calls are refused`,
      );
    }
  }
}

interface Identified {
  object: DocumentObject;
  path: DocumentPath;
}

function listed(list: unknown, path: PathSegment[]): Identified[] {
  if (!Array.isArray(list)) return [];
  return [...list.entries()].flatMap(([index, item]) =>
    isDocumentObject(item) ? [{ object: item, path: [...path, index] }] : [],
  );
}

/** Reports every object whose id was already used, naming both places. */
export function checkUniqueIds(
  issues: IssueCollector,
  code: 'ROOST_FLOW_DUPLICATE_ID' | 'ROOST_FLOW_INVALID',
  what: string,
  objects: readonly Identified[],
): void {
  const first = new Map<string, DocumentPath>();
  for (const { object, path } of inDocumentOrder(objects, issues)) {
    const id = object.id;
    if (typeof id !== 'string') continue;
    const earlier = first.get(id);
    if (!earlier) {
      first.set(id, path);
      continue;
    }
    const earlierAt = issues.position(earlier);
    const there = earlierAt ? ` (line ${earlierAt.line}, column ${earlierAt.column})` : '';
    issues.add(
      code,
      [...path, 'id'],
      (here) =>
        `duplicate ${what} id '${id}' at ${formatPath(path)}${here}, first used at ${formatPath(earlier)}${there}`,
    );
  }
}

/** Objects in the order they were written (listeners, walked last, may come first in the source). */
function inDocumentOrder(objects: readonly Identified[], issues: IssueCollector): Identified[] {
  const at = new Map(objects.map((object) => [object, issues.position(object.path)]));
  const key = (object: Identified) => {
    const position = at.get(object);
    return position ? position.line * 1e6 + position.column : Number.MAX_SAFE_INTEGER;
  };
  return [...objects].sort((a, b) => key(a) - key(b));
}

/** Kestra reserves labels starting with `system.`; a flow may set only `system.readOnly`. */
function checkSystemLabels(labels: unknown, issues: IssueCollector) {
  const entries: [string, DocumentPath][] = Array.isArray(labels)
    ? [...labels.entries()].flatMap(([index, label]) =>
        isDocumentObject(label) && typeof label.key === 'string'
          ? [[label.key, ['labels', index, 'key']]]
          : [],
      )
    : isDocumentObject(labels)
      ? Object.keys(labels).map((key): [string, DocumentPath] => [key, ['labels', key]])
      : [];
  for (const [key, path] of entries) {
    if (!key.startsWith('system.') || key === 'system.readOnly') continue;
    issues.add(
      'ROOST_FLOW_INVALID',
      path,
      `label '${key}' at ${formatPath(path)}: labels starting with 'system.' are set by Roost itself (a flow may set only system.readOnly)`,
    );
  }
}

function checkPlannedFeatures(document: DocumentObject, issues: IssueCollector) {
  if (Array.isArray(document.listeners) && document.listeners.length > 0) {
    issues.add(
      'ROOST_FLOW_INVALID',
      ['listeners'],
      'listeners are not supported by Roost yet (Kestra deprecated them: use a Flow trigger)',
    );
  }
  if (Array.isArray(document.sla) && document.sla.length > 0) {
    issues.add('ROOST_FLOW_INVALID', ['sla'], 'sla is not supported by Roost yet');
  }
}

/** Every `dependsOn` names a task of the same Dag, and the dependencies have no cycle. */
function checkDag(dag: DocumentObject, path: DocumentPath, issues: IssueCollector) {
  const entries = Array.isArray(dag.tasks) ? dag.tasks : [];
  const dependencies = new Map<string, string[]>();
  for (const entry of entries) {
    if (isDocumentObject(entry) && isDocumentObject(entry.task) && typeof entry.task.id === 'string') {
      const dependsOn = Array.isArray(entry.dependsOn) ? entry.dependsOn : [];
      dependencies.set(
        entry.task.id,
        dependsOn.filter((id): id is string => typeof id === 'string'),
      );
    }
  }
  for (const [index, entry] of entries.entries()) {
    const dependsOn = isDocumentObject(entry) && Array.isArray(entry.dependsOn) ? entry.dependsOn : [];
    for (const [position, id] of dependsOn.entries()) {
      if (typeof id !== 'string' || dependencies.has(id)) continue;
      const at = [...path, 'tasks', index, 'dependsOn', position];
      issues.add(
        'ROOST_FLOW_INVALID',
        at,
        `${formatPath(at)}: '${id}' is not a task of the Dag ${formatPath(path)}`,
      );
    }
  }
  const cycle = findCycle(dependencies);
  if (cycle) {
    issues.add(
      'ROOST_FLOW_INVALID',
      [...path, 'tasks'],
      `Dag ${formatPath(path)} has a dependency cycle: ${cycle.join(' -> ')}`,
    );
  }
}

/** A cycle in a dependency graph, as the ids along it (first id repeated at the end), if there is one. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const open = stack.indexOf(id);
    if (open >= 0) return [...stack.slice(open), id];
    if (done.has(id) || !graph.has(id)) return undefined;
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(id);
    return undefined;
  };
  for (const id of graph.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** A Switch with no task under `cases` nor `defaults` could only ever fail. */
function checkSwitch(task: DocumentObject, path: DocumentPath, issues: IssueCollector) {
  const hasTasks = (list: unknown) => Array.isArray(list) && list.length > 0;
  const cases = isDocumentObject(task.cases) ? Object.values(task.cases) : [];
  if (cases.some(hasTasks) || hasTasks(task.defaults)) return;
  issues.add(
    'ROOST_FLOW_INVALID',
    path,
    `Switch ${formatPath(path)} has no task to run: give at least one task under 'cases' or 'defaults'`,
  );
}
