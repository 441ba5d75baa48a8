// Creating an execution: inputs checked first, then the execution row and its start message committed
// together, or (with `start`) the execution row and the executor's first decision on it. Nothing is
// written when the flow is missing or an input is bad.
import { type Flow, flowLabels, validateInputValues } from '../../protocol/flow/index.ts';
import { newId, RoostError, State } from '../../protocol/index.ts';
import type { ExecutionRow, Repository } from '../repository/index.ts';
import { EXECUTOR_TOPIC, type ExecutorMessage } from './events.ts';

export interface NewExecutionRequest {
  namespace: string;
  flowId: string;
  /** input values as given (strings from a form or the CLI, JSON values from the API) */
  inputs?: Record<string, unknown>;
  labels?: Record<string, string>;
  trigger?: Record<string, unknown>;
  now?: Date;
  /** the new execution's id, when the caller needs it first (files of FILE inputs are stored under it) */
  id?: string;
}

export interface CreatedExecution {
  execution: ExecutionRow;
  /** the queue message that starts it: hand it to the local executor after the commit (none with `start`) */
  messageId?: number;
}

/** Takes the first decision on a new execution inside the transaction that creates it. */
export type StartInline = (tx: Repository, execution: ExecutionRow) => Promise<void>;

export async function createExecution(
  repository: Repository,
  request: NewExecutionRequest,
  start?: StartInline,
): Promise<CreatedExecution> {
  return repository.transaction(async (tx) => {
    const row = await tx.flows.latest(request.namespace, request.flowId);
    if (!row) {
      throw new RoostError('ROOST_NOT_FOUND', `flow ${request.namespace}.${request.flowId} does not exist`);
    }
    const flow = row.document as Flow;
    if (flow.disabled) {
      throw new RoostError('ROOST_CONFLICT', `flow ${request.namespace}.${request.flowId} is disabled`);
    }
    const { values, errors } = validateInputValues(flow, request.inputs ?? {});
    if (errors.length) {
      throw new RoostError('ROOST_INPUT_INVALID', errors.map((e) => e.message).join('; '), {
        details: { errors },
      });
    }
    const now = request.now ?? new Date();
    const labels: Record<string, string> = {};
    for (const { key, value } of flowLabels(flow)) labels[key] = value;
    Object.assign(labels, request.labels);
    const id = request.id ?? newId();
    // as in Kestra, every execution carries the id of the first execution of its chain (itself, here)
    labels['system.correlationId'] ??= id;
    const execution = await tx.executions.insert({
      id,
      namespace: row.namespace,
      flowId: row.flowId,
      flowRevision: row.revision,
      state: State.CREATED,
      histories: [{ state: State.CREATED, date: now.toISOString() }],
      inputs: values,
      labels,
      trigger: request.trigger ?? null,
      startDate: now,
    });
    if (start) {
      await start(tx, execution);
      return { execution };
    }
    const message: ExecutorMessage = { executionId: execution.id, event: { type: 'start' } };
    const messageId = await tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, {
      key: execution.id,
    });
    return { execution, messageId };
  });
}
