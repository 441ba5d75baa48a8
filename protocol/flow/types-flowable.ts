// Flowable task types: the executor resolves them itself (branches, loops, subflows, pauses).
import { Type } from '@sinclair/typebox';
import {
  AnyMap,
  Duration,
  Dynamic,
  Expression,
  InputFiles,
  Labels,
  NamespaceFiles,
  NonEmptyTaskList,
  StringList,
  TaskList,
  TaskRef,
} from './schema-common.ts';
import { InputList } from './schema-inputs.ts';
import { flowableType, TypeStatus } from './task-type.ts';

const old = (name: string) => `io.kestra.core.tasks.flows.${name}`;
const Count = Type.Integer({ minimum: 0 });
const TASKS = [{ property: 'tasks', shape: 'list' }] as const;
/** ForEach and the older Each* tasks take a list, or a string: JSON of a list, or an expression. */
const LoopValues = Type.Union([Type.String(), Type.Array(Type.Unknown())]);

export const SEQUENTIAL = flowableType(
  'io.kestra.plugin.core.flow.Sequential',
  { tasks: NonEmptyTaskList },
  TASKS,
  {
    aliases: [old('Sequential')],
    status: TypeStatus.READY,
  },
);

export const PARALLEL = flowableType(
  'io.kestra.plugin.core.flow.Parallel',
  { tasks: NonEmptyTaskList, concurrent: Type.Optional(Dynamic(Count)) },
  TASKS,
  { aliases: [old('Parallel')], status: TypeStatus.READY },
);

export const IF = flowableType(
  'io.kestra.plugin.core.flow.If',
  {
    condition: Type.Union([Type.String(), Type.Boolean()]),
    // biome-ignore lint/suspicious/noThenProperty: Kestra's If names its branch `then`; this is a schema, not a promise
    then: NonEmptyTaskList,
    else: Type.Optional(TaskList),
  },
  [
    { property: 'then', shape: 'list' },
    { property: 'else', shape: 'list' },
  ],
  { aliases: [old('If')], status: TypeStatus.READY },
);

export const SWITCH = flowableType(
  'io.kestra.plugin.core.flow.Switch',
  {
    value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    cases: Type.Optional(Type.Record(Type.String(), TaskList)),
    defaults: Type.Optional(TaskList),
  },
  [
    { property: 'cases', shape: 'map' },
    { property: 'defaults', shape: 'list' },
  ],
  { aliases: [old('Switch')], status: TypeStatus.READY },
);

export const FOR_EACH = flowableType(
  'io.kestra.plugin.core.flow.ForEach',
  { values: LoopValues, concurrencyLimit: Type.Optional(Dynamic(Count)), tasks: NonEmptyTaskList },
  TASKS,
  { status: TypeStatus.READY },
);

const EACH_SEQUENTIAL = flowableType(
  'io.kestra.plugin.core.flow.EachSequential',
  { value: LoopValues, tasks: NonEmptyTaskList },
  TASKS,
  { aliases: [old('EachSequential')], deprecated: true, status: TypeStatus.READY },
);

const EACH_PARALLEL = flowableType(
  'io.kestra.plugin.core.flow.EachParallel',
  { value: LoopValues, concurrent: Type.Optional(Dynamic(Count)), tasks: NonEmptyTaskList },
  TASKS,
  { aliases: [old('EachParallel')], deprecated: true, status: TypeStatus.READY },
);

export const DagEntry = Type.Object(
  { task: TaskRef, dependsOn: Type.Optional(StringList) },
  { additionalProperties: false },
);
export const DAG = flowableType(
  'io.kestra.plugin.core.flow.Dag',
  { concurrent: Type.Optional(Dynamic(Count)), tasks: Type.Array(DagEntry, { minItems: 1 }) },
  [{ property: 'tasks', shape: 'dag' }],
  { aliases: [old('Dag')], status: TypeStatus.READY },
);

const ALLOW_FAILURE = flowableType(
  'io.kestra.plugin.core.flow.AllowFailure',
  { tasks: NonEmptyTaskList },
  TASKS,
  {
    aliases: [old('AllowFailure')],
    status: TypeStatus.READY,
  },
);

/** What every task that starts another flow's execution takes. */
const childFlow = {
  namespace: Type.String({ minLength: 1 }),
  flowId: Type.String({ minLength: 1 }),
  revision: Type.Optional(Dynamic(Type.Integer({ minimum: 1 }))),
  inputs: Type.Optional(AnyMap),
  labels: Type.Optional(Type.Union([Labels, Expression])),
  wait: Type.Optional(Dynamic(Type.Boolean())),
  transmitFailed: Type.Optional(Dynamic(Type.Boolean())),
  inheritLabels: Type.Optional(Dynamic(Type.Boolean())),
  scheduleDate: Type.Optional(Type.String()),
  restartBehavior: Type.Optional(Type.Union([Type.Literal('NEW_EXECUTION'), Type.Literal('RETRY_FAILED')])),
};

export const SUBFLOW = flowableType(
  'io.kestra.plugin.core.flow.Subflow',
  { ...childFlow, outputs: Type.Optional(AnyMap) },
  [],
  { aliases: [old('Subflow')], status: TypeStatus.READY },
);

/** The subflow task before Subflow: the same, but `wait` and `transmitFailed` default to false. */
const FLOW_TASK = flowableType(
  'io.kestra.plugin.core.flow.Flow',
  { ...childFlow, outputs: Type.Optional(AnyMap) },
  [],
  { aliases: [old('Flow')], deprecated: true, status: TypeStatus.READY },
);

const FOR_EACH_ITEM = flowableType(
  'io.kestra.plugin.core.flow.ForEachItem',
  {
    ...childFlow,
    items: Type.String({ minLength: 1 }),
    batch: Type.Optional(
      Type.Object(
        {
          rows: Type.Optional(Dynamic(Type.Integer({ minimum: 1 }))),
          bytes: Type.Optional(Type.String()),
          partitions: Type.Optional(Dynamic(Type.Integer({ minimum: 1 }))),
          separator: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  [],
  { aliases: [old('ForEachItem')] },
);

export const PAUSE = flowableType(
  'io.kestra.plugin.core.flow.Pause',
  {
    delay: Type.Optional(Duration),
    onResume: Type.Optional(InputList),
    behavior: Type.Optional(
      Type.Union([
        Type.Literal('RESUME'),
        Type.Literal('WARN'),
        Type.Literal('FAIL'),
        Type.Literal('CANCEL'),
      ]),
    ),
    /** deprecated in Kestra: tasks run after the pause */
    tasks: Type.Optional(TaskList),
  },
  TASKS,
  { aliases: [old('Pause')], status: TypeStatus.READY },
);

const WORKING_DIRECTORY = flowableType(
  'io.kestra.plugin.core.flow.WorkingDirectory',
  {
    tasks: NonEmptyTaskList,
    cache: Type.Optional(
      Type.Object({ patterns: StringList, ttl: Type.Optional(Duration) }, { additionalProperties: false }),
    ),
    inputFiles: Type.Optional(InputFiles),
    outputFiles: Type.Optional(Dynamic(StringList)),
    namespaceFiles: Type.Optional(NamespaceFiles),
  },
  [{ property: 'tasks', shape: 'list', onlyRunnable: true }],
  {
    aliases: [old('WorkingDirectory'), old('Worker'), 'io.kestra.plugin.core.flow.Worker'],
    status: TypeStatus.READY,
  },
);

const LOOP_UNTIL = flowableType(
  'io.kestra.plugin.core.flow.LoopUntil',
  {
    condition: Type.String({ minLength: 1 }),
    tasks: NonEmptyTaskList,
    failOnMaxReached: Type.Optional(Dynamic(Type.Boolean())),
    checkFrequency: Type.Optional(
      Type.Object(
        {
          maxIterations: Type.Optional(Dynamic(Type.Integer({ minimum: 1 }))),
          maxDuration: Type.Optional(Duration),
          interval: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
  },
  TASKS,
  { aliases: ['io.kestra.plugin.core.flow.WaitFor'], status: TypeStatus.READY },
);

export const FLOWABLE_TYPES = [
  SEQUENTIAL,
  PARALLEL,
  IF,
  SWITCH,
  FOR_EACH,
  EACH_SEQUENTIAL,
  EACH_PARALLEL,
  DAG,
  ALLOW_FAILURE,
  SUBFLOW,
  FLOW_TASK,
  FOR_EACH_ITEM,
  PAUSE,
  WORKING_DIRECTORY,
  LOOP_UNTIL,
];

/** Tasks that start an execution of another flow (and so must not name their own). */
export const CHILD_FLOW_TYPES: ReadonlySet<string> = new Set([
  SUBFLOW.type,
  FLOW_TASK.type,
  FOR_EACH_ITEM.type,
]);
