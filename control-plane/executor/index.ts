// The executor: decides what runs next in each execution, one transaction per decision.
export { decide, decideOn } from './decide.ts';
export {
  EXECUTOR_TOPIC,
  type ExecutorEvent,
  type ExecutorMessage,
  type Kill,
  type Timer,
} from './events.ts';
export { type CreatedExecution, createExecution, type NewExecutionRequest } from './executions.ts';
export {
  type Committed,
  Executor,
  type ExecutorOptions,
  type StoppedJob,
  type Submitted,
} from './executor.ts';
export { resumeInputErrors } from './flowables/pause.ts';
export { EMPTY_HOST, type RenderHost, renderHost } from './host.ts';
export { type ExecutorLink, inlineLink } from './link.ts';
export { ExecutionOperations } from './operations.ts';
export { type FlowPlan, planFlow } from './plan.ts';
export { type Decision, ExecutionState } from './state.ts';
