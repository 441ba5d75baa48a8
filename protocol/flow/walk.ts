// Finds every task of a flow however deep it sits (children of flowable tasks, errors, finally,
// afterExecution, listeners), and every condition of its triggers and listeners. Works on documents
// that have not been validated yet, so it skips what it cannot read instead of failing.
import type { DocumentPath, PathSegment } from './issues.ts';
import { formatPath } from './issues.ts';
import type { TaskDef } from './schema-common.ts';
import type { Flow } from './schema-flow.ts';
import type { ChildSlot, ConditionSlot, TaskTypeInfo } from './task-type.ts';
import { isTaskKind, resolveTaskType } from './task-types.ts';

export type DocumentObject = Record<string, unknown>;

export function isDocumentObject(value: unknown): value is DocumentObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface WalkedTask {
  task: DocumentObject;
  path: PathSegment[];
  /** id of the flowable task that holds it; none at the top of the flow */
  parentId?: string;
  /** the slot of the parent that holds it, and the parent's canonical type */
  slot?: ChildSlot;
  parentType?: string;
  /** its registry entry; none for a type Roost does not know */
  info?: TaskTypeInfo;
}

/** Where a flow holds tasks at its top level. */
export const FLOW_TASK_LISTS = ['tasks', 'errors', 'finally', 'afterExecution'] as const;

/** Every task of a document, depth first, in the order written. */
export function* walkTaskTree(document: unknown): Generator<WalkedTask> {
  if (!isDocumentObject(document)) return;
  for (const list of FLOW_TASK_LISTS) yield* walkList(document[list], [list]);
  const listeners = document.listeners;
  if (!Array.isArray(listeners)) return;
  for (const [index, listener] of listeners.entries()) {
    if (isDocumentObject(listener)) yield* walkList(listener.tasks, ['listeners', index, 'tasks']);
  }
}

/** Where a task sits: its parent's id and type, and the parent's slot that holds it. */
interface Placement {
  parentId?: string;
  parentType: string;
  slot: ChildSlot;
}

function* walkList(list: unknown, path: PathSegment[], placement?: Placement): Generator<WalkedTask> {
  if (!Array.isArray(list)) return;
  for (const [index, item] of list.entries()) {
    if (isDocumentObject(item)) yield* walkTask(item, [...path, index], placement);
  }
}

function* walkTask(task: DocumentObject, path: PathSegment[], placement?: Placement): Generator<WalkedTask> {
  const info = typeof task.type === 'string' ? resolveTaskType(task.type) : undefined;
  const walked: WalkedTask = { task, path };
  if (placement) {
    if (placement.parentId !== undefined) walked.parentId = placement.parentId;
    walked.slot = placement.slot;
    walked.parentType = placement.parentType;
  }
  if (info) walked.info = info;
  yield walked;
  if (!info || !isTaskKind(info)) return;
  for (const slot of info.children) {
    const child: Placement = { parentType: info.type, slot };
    if (typeof task.id === 'string') child.parentId = task.id;
    yield* walkSlot(task[slot.property], [...path, slot.property], child);
  }
}

function* walkSlot(value: unknown, path: PathSegment[], placement: Placement): Generator<WalkedTask> {
  const shape = placement.slot.shape;
  if (shape === 'list') {
    yield* walkList(value, path, placement);
  } else if (shape === 'map' && isDocumentObject(value)) {
    for (const [key, list] of Object.entries(value)) yield* walkList(list, [...path, key], placement);
  } else if (shape === 'dag' && Array.isArray(value)) {
    for (const [index, entry] of value.entries()) {
      if (isDocumentObject(entry) && isDocumentObject(entry.task)) {
        yield* walkTask(entry.task, [...path, index, 'task'], placement);
      }
    }
  }
}

export interface WalkedCondition {
  condition: DocumentObject;
  path: PathSegment[];
  info?: TaskTypeInfo;
}

/** The conditions held by `owner` (a trigger, listener or condition) in the slots given, recursively. */
export function* walkConditions(
  owner: DocumentObject,
  path: DocumentPath,
  slots: readonly ConditionSlot[],
): Generator<WalkedCondition> {
  for (const slot of slots) {
    const value = owner[slot.property];
    const entries: [PathSegment, unknown][] = Array.isArray(value)
      ? [...value.entries()]
      : slot.shape === 'map' && isDocumentObject(value)
        ? Object.entries(value)
        : [];
    for (const [key, condition] of entries) {
      if (!isDocumentObject(condition)) continue;
      const at = [...path, slot.property, key];
      const info = typeof condition.type === 'string' ? resolveTaskType(condition.type) : undefined;
      yield info ? { condition, path: at, info } : { condition, path: at };
      if (info) yield* walkConditions(condition, at, info.conditions);
    }
  }
}

/** Every task of a parsed flow, nested ones included, with its path (`tasks[0].then[1]`) and parent. */
export function* walkTasks(flow: Flow): Iterable<{ task: TaskDef; path: string; parentId?: string }> {
  for (const walked of walkTaskTree(flow)) {
    const entry: { task: TaskDef; path: string; parentId?: string } = {
      task: walked.task as TaskDef,
      path: formatPath(walked.path),
    };
    if (walked.parentId !== undefined) entry.parentId = walked.parentId;
    yield entry;
  }
}
