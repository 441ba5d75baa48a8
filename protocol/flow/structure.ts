// Checks every task, trigger and condition of a document against the schema of its own type, and
// refuses types Roost does not know (or does not run yet), naming the type and where it is.
import { Type } from '@sinclair/typebox';
import { type DocumentPath, formatPath, type IssueCollector } from './issues.ts';
import { withPluginDefaults } from './plugin-defaults.ts';
import { TaskCommonProps, TaskId } from './schema-common.ts';
import type { PluginDefault } from './schema-flow.ts';
import { checkSchema } from './schema-issues.ts';
import {
  type ConditionSlot,
  TaskKind,
  type TaskTypeInfo,
  TriggerCommonProps,
  TypeStatus,
} from './task-type.ts';
import { isTaskKind, resolveTaskType } from './task-types.ts';
import { type DocumentObject, isDocumentObject, walkConditions, walkTaskTree } from './walk.ts';

export interface StructureOptions {
  allowPlanned: boolean;
  /** the document's pluginDefaults (and taskDefaults), applied before a task is checked, as Kestra does */
  pluginDefaults: readonly PluginDefault[];
}

const TASK_COMMON_KEYS = new Set([...Object.keys(TaskCommonProps), 'errors', 'finally']);
const TRIGGER_COMMON_KEYS = new Set(Object.keys(TriggerCommonProps));
/** What can still be checked on an object whose type is unknown. */
const Identity = Type.Object({ id: TaskId, type: Type.String({ minLength: 1 }) });
const TypeOnly = Type.Object({ type: Type.String({ minLength: 1 }) });
const LISTENER_CONDITIONS: readonly ConditionSlot[] = [{ property: 'conditions', shape: 'list' }];

export function checkStructure(
  document: DocumentObject,
  issues: IssueCollector,
  options: StructureOptions,
): void {
  for (const { task, path, info } of walkTaskTree(document)) {
    const checked = checkType(task, path, info, 'task', issues, options);
    if (!checked) {
      checkSchema(Identity, task, path, issues);
      continue;
    }
    const effective = options.pluginDefaults.length ? withPluginDefaults(options.pluginDefaults, task) : task;
    const fromDefaults = new Set(Object.keys(effective).filter((key) => !(key in task)));
    checkSchema(checked.schema, effective, path, issues, {
      subject: checked.type,
      commonKeys: TASK_COMMON_KEYS,
      fromDefaults,
    });
  }
  const triggers = Array.isArray(document.triggers) ? document.triggers : [];
  for (const [index, trigger] of triggers.entries()) {
    if (!isDocumentObject(trigger)) continue;
    const path = ['triggers', index];
    const info = typeof trigger.type === 'string' ? resolveTaskType(trigger.type) : undefined;
    const checked = checkType(trigger, path, info, 'trigger', issues, options);
    if (!checked) {
      checkSchema(Identity, trigger, path, issues);
      continue;
    }
    checkSchema(checked.schema, trigger, path, issues, {
      subject: checked.type,
      commonKeys: TRIGGER_COMMON_KEYS,
    });
    checkConditions(trigger, path, checked.conditions, issues);
  }
  const listeners = Array.isArray(document.listeners) ? document.listeners : [];
  for (const [index, listener] of listeners.entries()) {
    if (isDocumentObject(listener))
      checkConditions(listener, ['listeners', index], LISTENER_CONDITIONS, issues);
  }
}

/** Conditions run with their trigger: only unknown types are refused here, not planned ones. */
function checkConditions(
  owner: DocumentObject,
  path: DocumentPath,
  slots: readonly ConditionSlot[],
  issues: IssueCollector,
) {
  for (const { condition, path: at, info } of walkConditions(owner, path, slots)) {
    const checked = checkType(condition, at, info, 'condition', issues, { allowPlanned: true });
    if (checked) checkSchema(checked.schema, condition, at, issues, { subject: checked.type });
    else checkSchema(TypeOnly, condition, at, issues);
  }
}

type Role = 'task' | 'trigger' | 'condition';
const ROLE_KINDS: Record<Role, (info: TaskTypeInfo) => boolean> = {
  task: isTaskKind,
  trigger: (info) => info.kind === TaskKind.TRIGGER,
  condition: (info) => info.kind === TaskKind.CONDITION,
};

/** The registry entry to check `object` against, or undefined (after reporting why) when there is none. */
function checkType(
  object: DocumentObject,
  path: DocumentPath,
  info: TaskTypeInfo | undefined,
  role: Role,
  issues: IssueCollector,
  options: Pick<StructureOptions, 'allowPlanned'>,
): TaskTypeInfo | undefined {
  const type = object.type;
  const where = formatPath(path);
  if (typeof type !== 'string') return undefined;
  if (!info) {
    issues.add('ROOST_FLOW_UNKNOWN_TYPE', [...path, 'type'], `unknown ${role} type '${type}' at ${where}`);
    return undefined;
  }
  const named = type === info.type ? `'${type}'` : `'${type}' (now ${info.type})`;
  if (!ROLE_KINDS[role](info)) {
    const what = isTaskKind(info) ? 'task' : info.kind;
    issues.add(
      'ROOST_FLOW_INVALID',
      [...path, 'type'],
      `${named} at ${where} is a ${what} type, not a ${role}`,
    );
    return undefined;
  }
  if (info.status === TypeStatus.PLANNED && !options.allowPlanned) {
    issues.add(
      'ROOST_FLOW_UNKNOWN_TYPE',
      [...path, 'type'],
      `${role} type ${named} at ${where} is not supported by Roost yet`,
    );
  }
  return info;
}
