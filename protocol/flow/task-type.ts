// What the registry knows about one task, trigger or condition type, and the helpers that define one.
import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { LogLevel } from '../messages.ts';
import { ConditionRef, TaskCommonProps, TaskId, TaskList } from './schema-common.ts';

export const TaskKind = {
  FLOWABLE: 'flowable',
  RUNNABLE: 'runnable',
  TRIGGER: 'trigger',
  CONDITION: 'condition',
} as const;
export type TaskKind = (typeof TaskKind)[keyof typeof TaskKind];

/** `ready`: Roost runs it. `planned`: the model knows it; validation refuses it unless `allowPlanned`. */
export const TypeStatus = { READY: 'ready', PLANNED: 'planned' } as const;
export type TypeStatus = (typeof TypeStatus)[keyof typeof TypeStatus];

/** A property of a flowable task that holds child tasks, and how they are laid out. */
export interface ChildSlot {
  property: string;
  /** `list`: a list of tasks; `map`: a map of lists (Switch.cases); `dag`: a list of `{task, dependsOn}` */
  shape: 'list' | 'map' | 'dag';
  /** only runnable tasks may sit here (WorkingDirectory) */
  onlyRunnable?: boolean;
}

/** A property of a trigger or condition that holds conditions: a list, or a map of name to condition. */
export interface ConditionSlot {
  property: string;
  shape: 'list' | 'map';
}

export interface TaskTypeInfo<S extends TSchema = TObject> {
  /** the canonical Kestra type name */
  type: string;
  /** older names Kestra still accepts for the same type */
  aliases: readonly string[];
  kind: TaskKind;
  status: TypeStatus;
  /** the whole object: common properties and the type's own, unknown properties refused */
  schema: S;
  children: readonly ChildSlot[];
  conditions: readonly ConditionSlot[];
  deprecated: boolean;
}

interface DefineOptions {
  aliases?: readonly string[];
  status?: TypeStatus;
  deprecated?: boolean;
}

/** The properties every flowable task has besides its own child lists. */
const flowableProps = { errors: Type.Optional(TaskList), finally: Type.Optional(TaskList) };
const FLOWABLE_SLOTS: readonly ChildSlot[] = [
  { property: 'errors', shape: 'list' },
  { property: 'finally', shape: 'list' },
];

function info<S extends TSchema>(
  type: string,
  kind: TaskKind,
  schema: S,
  options: DefineOptions,
  children: readonly ChildSlot[] = [],
  conditions: readonly ConditionSlot[] = [],
): TaskTypeInfo<S> {
  return {
    type,
    aliases: options.aliases ?? [],
    kind,
    status: options.status ?? TypeStatus.PLANNED,
    schema,
    children,
    conditions,
    deprecated: options.deprecated ?? false,
  };
}

export function runnableType<P extends TProperties>(type: string, props: P, options: DefineOptions = {}) {
  const schema = Type.Object({ ...TaskCommonProps, ...props }, { additionalProperties: false, title: type });
  return info(type, TaskKind.RUNNABLE, schema, options);
}

export function flowableType<P extends TProperties>(
  type: string,
  props: P,
  children: readonly ChildSlot[],
  options: DefineOptions = {},
) {
  const schema = Type.Object(
    { ...TaskCommonProps, ...flowableProps, ...props },
    { additionalProperties: false, title: type },
  );
  return info(type, TaskKind.FLOWABLE, schema, options, [...children, ...FLOWABLE_SLOTS]);
}

/** Properties every trigger has, whatever its type. */
export const TriggerCommonProps = {
  id: TaskId,
  type: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  conditions: Type.Optional(Type.Array(ConditionRef)),
  disabled: Type.Optional(Type.Boolean()),
  workerGroup: TaskCommonProps.workerGroup,
  logLevel: Type.Optional(LogLevel),
  logToFile: Type.Optional(Type.Boolean()),
  stopAfter: Type.Optional(Type.Array(Type.String())),
};

export function triggerType<P extends TProperties>(
  type: string,
  props: P,
  options: DefineOptions = {},
  extraConditions: readonly ConditionSlot[] = [],
) {
  const schema = Type.Object(
    { ...TriggerCommonProps, ...props },
    { additionalProperties: false, title: type },
  );
  return info(
    type,
    TaskKind.TRIGGER,
    schema,
    options,
    [],
    [{ property: 'conditions', shape: 'list' }, ...extraConditions],
  );
}

export function conditionType<P extends TProperties>(
  type: string,
  props: P,
  options: DefineOptions = {},
  conditions: readonly ConditionSlot[] = [],
) {
  const schema = Type.Object(
    { type: Type.String({ minLength: 1 }), ...props },
    { additionalProperties: false, title: type },
  );
  return info(type, TaskKind.CONDITION, schema, options, [], conditions);
}
