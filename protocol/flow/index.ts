// The flow model: Kestra flows parsed from YAML, validated, and described by one set of schemas.

export { type InputValueError, type InputValues, validateInputValues } from './input-values.ts';
export { parseIsoDuration } from './iso-time.ts';
export type { FlowIssue } from './issues.ts';
export { flowJsonSchema } from './json-schema.ts';
export { applyPluginDefaults } from './plugin-defaults.ts';
export {
  type ConditionDef,
  isExpression,
  type Retry,
  type TaskDef,
  type TriggerDef,
  type WorkerGroup,
} from './schema-common.ts';
export { type Flow, type FlowLabel, FlowSchema, flowLabels, type PluginDefault } from './schema-flow.ts';
export { INPUT_TYPES, Input, type InputTypeName } from './schema-inputs.ts';
export { type ChildSlot, TaskKind, type TaskTypeInfo, TypeStatus } from './task-type.ts';
export {
  isTaskKind,
  type LogTask,
  type OutputValuesTask,
  type ReturnTask,
  resolveTaskType,
  type SequentialTask,
  type ShellCommandsTask,
  TASK_TYPES,
} from './task-types.ts';
export { type FlowSourceOptions, type FlowValidation, parseFlow, validateFlowSource } from './validate.ts';
export { walkTasks } from './walk.ts';
export { DEFAULT_MAX_FLOW_BYTES } from './yaml-source.ts';
