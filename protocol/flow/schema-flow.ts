// The flow document: its top-level properties, and the Flow type derived from them.
import { type Static, Type } from '@sinclair/typebox';
import {
  AnyMap,
  ConditionRef,
  DurationString,
  FlowId,
  Labels,
  Namespace,
  NonEmptyTaskList,
  Retry,
  TaskList,
  TriggerRef,
  WorkerGroup,
} from './schema-common.ts';
import { InputId, InputList, InputType } from './schema-inputs.ts';

const Strict = { additionalProperties: false } as const;

export const FlowOutput = Type.Object(
  {
    id: InputId,
    type: InputType,
    value: Type.Unknown(),
    description: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    required: Type.Optional(Type.Boolean()),
  },
  Strict,
);

/** Values merged into every task (and nested plugin) whose type equals or starts with `type`. */
export const PluginDefault = Type.Object(
  { type: Type.String({ minLength: 1 }), forced: Type.Optional(Type.Boolean()), values: AnyMap },
  Strict,
);
export type PluginDefault = Static<typeof PluginDefault>;

export const Concurrency = Type.Object(
  {
    limit: Type.Integer({ minimum: 1 }),
    behavior: Type.Optional(
      Type.Union([Type.Literal('QUEUE'), Type.Literal('CANCEL'), Type.Literal('FAIL')]),
    ),
  },
  Strict,
);

/** Deprecated in Kestra; Roost parses them and refuses them unless `allowPlanned`. */
export const Listener = Type.Object(
  {
    description: Type.Optional(Type.String()),
    conditions: Type.Optional(Type.Array(ConditionRef)),
    tasks: NonEmptyTaskList,
  },
  Strict,
);

/** Service-level agreements; parsed, refused unless `allowPlanned` until the executor checks them. */
export const Sla = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    type: Type.Union([Type.Literal('MAX_DURATION'), Type.Literal('EXECUTION_ASSERTION')]),
    behavior: Type.Union([Type.Literal('FAIL'), Type.Literal('CANCEL'), Type.Literal('NONE')]),
    labels: Type.Optional(Labels),
    duration: Type.Optional(DurationString),
    assert: Type.Optional(Type.String()),
  },
  Strict,
);

const flowProperties = {
  id: FlowId,
  namespace: Namespace,
  description: Type.Optional(Type.String()),
  labels: Type.Optional(Labels),
  inputs: Type.Optional(InputList),
  variables: Type.Optional(AnyMap),
  tasks: NonEmptyTaskList,
  errors: Type.Optional(TaskList),
  finally: Type.Optional(TaskList),
  afterExecution: Type.Optional(TaskList),
  outputs: Type.Optional(Type.Array(FlowOutput)),
  triggers: Type.Optional(Type.Array(TriggerRef)),
  listeners: Type.Optional(Type.Array(Listener)),
  pluginDefaults: Type.Optional(Type.Array(PluginDefault)),
  concurrency: Type.Optional(Concurrency),
  retry: Type.Optional(Retry),
  sla: Type.Optional(Type.Array(Sla)),
  disabled: Type.Optional(Type.Boolean()),
  workerGroup: Type.Optional(WorkerGroup),
};

/** A parsed flow: old names normalized (`taskDefaults` into `pluginDefaults`, input `name` into `id`). */
export const FlowSchema = Type.Object(flowProperties, { ...Strict, title: 'Flow' });
export type Flow = Static<typeof FlowSchema>;

/** The document as written: the flow, plus the old names Kestra still reads. */
export const FlowDocumentSchema = Type.Object(
  {
    ...flowProperties,
    /** old name of pluginDefaults */
    taskDefaults: Type.Optional(Type.Array(PluginDefault)),
    /** set by the server; ignored in a source */
    revision: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { ...Strict, title: 'Flow' },
);

export interface FlowLabel {
  key: string;
  value: string;
}

/** The flow's labels as one list of `{key, value}`, whichever form the document used. */
export function flowLabels(flow: Pick<Flow, 'labels'>): FlowLabel[] {
  const labels = flow.labels;
  if (!labels) return [];
  if (Array.isArray(labels)) return labels.map(({ key, value }) => ({ key, value }));
  return Object.entries(labels).map(([key, value]) => ({ key, value: String(value) }));
}
