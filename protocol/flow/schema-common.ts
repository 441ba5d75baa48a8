// Building blocks shared by the flow, task, trigger and input schemas: ids, expressions, durations,
// retry policies, worker groups, labels, and the properties every task carries.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { LogLevel } from '../messages.ts';
import { DURATION_PATTERN } from './iso-time.ts';

/** Kestra's patterns (flows allow dots in their id; tasks and triggers do not). */
export const FLOW_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._-]*$';
export const NAMESPACE_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
export const TASK_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_-]*$';
export const INPUT_ID_PATTERN = '^[a-zA-Z0-9][.a-zA-Z0-9_-]*$';

/** A string holding a Pebble expression or tag; Kestra renders it before use. */
export const EXPRESSION_PATTERN = '\\{\\{[\\s\\S]*\\}\\}|\\{%[\\s\\S]*%\\}';
const EXPRESSION_RE = new RegExp(EXPRESSION_PATTERN);

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPRESSION_RE.test(value);
}

export const Expression = Type.String({
  pattern: EXPRESSION_PATTERN,
  description: 'an expression "{{ ... }}"',
});

/** A property Kestra renders (`dynamic = true`): its typed value, or an expression that renders to it. */
export function Dynamic<T extends TSchema>(schema: T) {
  return Type.Union([schema, Expression]);
}

export const DurationString = Type.String({
  pattern: DURATION_PATTERN,
  description: 'an ISO-8601 duration such as PT30S or P1D',
});
export const Duration = Dynamic(DurationString);

export const FlowId = Type.String({
  pattern: FLOW_ID_PATTERN,
  maxLength: 100,
  description: "an id of letters, digits, '.', '_' and '-' that starts with a letter or digit",
});
export const Namespace = Type.String({
  pattern: NAMESPACE_PATTERN,
  maxLength: 150,
  description: "a namespace of lower-case letters, digits, '.', '_' and '-' (like company.team)",
});
export const TaskId = Type.String({
  pattern: TASK_ID_PATTERN,
  maxLength: 256,
  description: "an id of letters, digits, '_' and '-' that starts with a letter or digit",
});

export const StringList = Type.Array(Type.String());
export const StringMap = Type.Record(Type.String(), Type.String());
export const AnyMap = Type.Record(Type.String(), Type.Unknown());

/** Namespace files made available to a task's working directory. */
export const NamespaceFiles = Type.Object(
  {
    enabled: Type.Optional(Dynamic(Type.Boolean())),
    include: Type.Optional(StringList),
    exclude: Type.Optional(StringList),
    ifExists: Type.Optional(
      Type.Union([
        Type.Literal('OVERWRITE'),
        Type.Literal('FAIL'),
        Type.Literal('WARN'),
        Type.Literal('IGNORE'),
      ]),
    ),
    folderPerNamespace: Type.Optional(Type.Boolean()),
    namespaces: Type.Optional(StringList),
  },
  { additionalProperties: false },
);
/** Files written before a task runs: a map of file name to content, or an expression rendering to one. */
export const InputFiles = Type.Union([StringMap, Type.String()]);

/** Labels, as Kestra reads them: a map of key to value, or a list of `{key, value}`. */
export const Label = Type.Object(
  { key: Type.String({ minLength: 1 }), value: Type.String() },
  { additionalProperties: false },
);
export const Labels = Type.Union([
  Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  Type.Array(Label),
]);

export const WorkerGroup = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    /** what to do when no live agent of the group exists (default WAIT) */
    fallback: Type.Optional(Type.Union([Type.Literal('WAIT'), Type.Literal('FAIL'), Type.Literal('CANCEL')])),
    /** Roost: the longest a WAIT lasts before the task fails */
    maxWait: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type WorkerGroup = Static<typeof WorkerGroup>;

const retryCommon = {
  /** Kestra's current name; `maxAttempt` is the older one, still accepted */
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
  maxAttempt: Type.Optional(Type.Integer({ minimum: 1 })),
  maxDuration: Type.Optional(DurationString),
  warningOnRetry: Type.Optional(Type.Boolean()),
  behavior: Type.Optional(
    Type.Union([Type.Literal('RETRY_FAILED_TASK'), Type.Literal('CREATE_NEW_EXECUTION')]),
  ),
};
export const Retry = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('constant'), interval: DurationString, ...retryCommon },
      { additionalProperties: false, title: 'constant retry' },
    ),
    Type.Object(
      {
        type: Type.Literal('exponential'),
        interval: DurationString,
        maxInterval: DurationString,
        delayFactor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        ...retryCommon,
      },
      { additionalProperties: false, title: 'exponential retry' },
    ),
    Type.Object(
      {
        type: Type.Literal('random'),
        minInterval: DurationString,
        maxInterval: DurationString,
        ...retryCommon,
      },
      { additionalProperties: false, title: 'random retry' },
    ),
  ],
  { description: 'a retry policy (a map with type constant, exponential or random)' },
);
export type Retry = Static<typeof Retry>;

/** Properties every task has, whatever its type. */
export const TaskCommonProps = {
  id: TaskId,
  type: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  retry: Type.Optional(Retry),
  timeout: Type.Optional(Duration),
  runIf: Type.Optional(Type.Union([Type.String(), Type.Boolean()])),
  allowFailure: Type.Optional(Type.Boolean()),
  allowWarning: Type.Optional(Type.Boolean()),
  disabled: Type.Optional(Type.Boolean()),
  logLevel: Type.Optional(LogLevel),
  logToFile: Type.Optional(Type.Boolean()),
  workerGroup: Type.Optional(WorkerGroup),
  /** Roost: how many of an agent's slots the task takes while it runs (default 1) */
  slots: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
  /**
   * Roost: the task may finish while its agent is cut off from the control plane; its lease outlives the
   * connection (up to the control plane's offline grace) and its result and logs are replayed later
   * (unset: the default of its declared worker group, false without one)
   */
  offline: Type.Optional(Type.Boolean()),
};
const TaskCommon = Type.Object(TaskCommonProps);

/** A task of any type: the common properties, plus those of its type (see the registry's schemas). */
export type TaskDef = Static<typeof TaskCommon> & { [property: string]: unknown };
export interface TriggerDef {
  id: string;
  type: string;
  [property: string]: unknown;
}
export interface ConditionDef {
  type: string;
  [property: string]: unknown;
}

/**
 * Where a task, trigger or condition sits inside another schema. At runtime these accept any map (each
 * item is checked against the schema of its own type separately); `flowJsonSchema()` turns them into
 * `$ref`s to the union of all types.
 */
export const REF_KEY = 'x-roost-ref';
const anyMap = (ref: string, description: string) =>
  Type.Object({}, { [REF_KEY]: ref, description, additionalProperties: true });
export const TaskRef = Type.Unsafe<TaskDef>(anyMap('task', 'a task (a map with id and type)'));
export const TriggerRef = Type.Unsafe<TriggerDef>(anyMap('trigger', 'a trigger (a map with id and type)'));
export const ConditionRef = Type.Unsafe<ConditionDef>(anyMap('condition', 'a condition (a map with type)'));
export const TaskList = Type.Array(TaskRef);
export const NonEmptyTaskList = Type.Array(TaskRef, { minItems: 1 });
