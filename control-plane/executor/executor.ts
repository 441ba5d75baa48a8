// The executor component: takes executor messages from the queue, locks the execution, decides, and
// commits the decision in the same transaction; then tells local listeners (dispatcher, webserver).
import { EventEmitter } from 'node:events';
import type { Flow } from '../../protocol/flow/index.ts';
import { isTerminal } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { QueueConsumer } from '../queue/index.ts';
import type { Connection, ExecutionRow, NewJob, QueueRow, Repository } from '../repository/index.ts';
import { decideOn } from './decide.ts';
import { EXECUTOR_TOPIC, type ExecutorEvent, type ExecutorMessage } from './events.ts';
import { FlowNeeded, flowKey, loadedFlows, type StoredFlow } from './flowables/flows.ts';
import { resumeInputErrors } from './flowables/pause.ts';
import { FlowPlans } from './plans.ts';
import { type Decision, ExecutionState } from './state.ts';
import { StateCache } from './state-cache.ts';

export interface ExecutorOptions {
  repository: Repository;
  connection: Pick<Connection, 'listen'>;
  logger: Logger;
  now?: () => Date;
  pollIntervalMs?: number;
}

/** A job the decision ended (killed, timed out): the agent holding it, if any, must be told. */
export interface StoppedJob {
  jobId: string;
  attempt: number;
  agentId: string | null;
  reason: string;
}

/** What an inline submission did: the decision (to adjust before `after`), and what to run after the commit. */
export interface Submitted {
  committed?: Committed;
  after: () => void;
}

export interface Committed {
  executionId: string;
  jobs: NewJob[];
  stopped: StoppedJob[];
  /** the execution reached a terminal state in this decision */
  ended: boolean;
  changed: boolean;
  /** queue messages the decision sent to executions (children it started, a parent, a child to kill) */
  messageIds?: number[];
}

/** A decision written in a transaction not yet committed, and what to do once it has. */
interface Outcome {
  committed: Committed;
  /** keeps the execution's working copy for its next decision */
  keep: () => void;
}

export interface ExecutorEvents {
  /** after each committed decision */
  committed: [Committed];
}

export class Executor extends EventEmitter<ExecutorEvents> {
  private readonly consumer: QueueConsumer<Outcome | undefined>;
  private readonly plans = new FlowPlans();
  private readonly states = new StateCache();
  private readonly now: () => Date;

  constructor(private readonly options: ExecutorOptions) {
    super();
    this.now = options.now ?? (() => new Date());
    this.consumer = new QueueConsumer({
      topic: EXECUTOR_TOPIC,
      repository: options.repository,
      connection: options.connection,
      handle: (tx, message) => this.handle(tx, message),
      afterCommit: (outcome) => this.afterCommit(outcome),
      onError: (error, id) =>
        this.options.logger.error({ err: error, messageId: id }, 'executor message failed'),
      now: this.now,
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.options.logger.info('executor started');
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /** Handles a message committed in this process right away (the in-memory hand-over). */
  handOver(messageId: number): void {
    this.consumer.handOver(messageId);
  }

  /**
   * Decides on an event inside the caller's transaction, so that what caused it (a task's result) and
   * the decision commit together. Call the returned function after the commit.
   */
  async submitInline(tx: Repository, message: ExecutorMessage, locked?: ExecutionRow): Promise<Submitted> {
    const outcome = await this.decideAndWrite(tx, message, locked);
    return {
      ...(outcome ? { committed: outcome.committed } : {}),
      after: () => this.afterCommit(outcome),
    };
  }

  private afterCommit(outcome: Outcome | undefined): void {
    if (!outcome) return;
    outcome.keep();
    this.emit('committed', outcome.committed);
    // messages to other executions (a child to start, a parent, a child to kill): handed over in memory
    for (const id of outcome.committed.messageIds ?? []) this.handOver(id);
  }

  /** Sends an event to an execution (kill, resume): committed first, then handed over in memory. */
  async send(executionId: string, event: ExecutorEvent): Promise<void> {
    const message: ExecutorMessage = { executionId, event };
    const id = await this.options.repository.transaction((tx) =>
      tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, { key: executionId }),
    );
    this.handOver(id);
  }

  /** Why these `onResume` inputs would be refused (empty when they are fine). */
  async resumeErrors(
    executionId: string,
    inputs: Record<string, unknown>,
    taskRunId?: string,
  ): Promise<string[]> {
    const repository = this.options.repository;
    const execution = await repository.executions.get(executionId);
    if (!execution) return [`execution ${executionId} does not exist`];
    const plan = await this.plans.get(
      repository,
      execution.namespace,
      execution.flowId,
      execution.flowRevision,
    );
    return resumeInputErrors(plan, await repository.executions.taskRuns(executionId), inputs, taskRunId);
  }

  private handle(tx: Repository, message: QueueRow): Promise<Outcome | undefined> {
    return this.decideAndWrite(tx, message.payload as unknown as ExecutorMessage);
  }

  private async decideAndWrite(
    tx: Repository,
    { executionId, event }: ExecutorMessage,
    locked?: ExecutionRow,
  ): Promise<Outcome | undefined> {
    const execution = locked?.id === executionId ? locked : await tx.executions.lock(executionId);
    const kept = this.states.take(executionId);
    if (!execution) {
      this.options.logger.warn({ executionId }, 'executor message for a missing execution dropped');
      return undefined;
    }
    const plan = await this.plans.get(tx, execution.namespace, execution.flowId, execution.flowRevision);
    let { taskRuns, watermark } = await tx.executions.taskRunsSince(executionId, kept?.watermark);
    const now = this.now();
    let state: ExecutionState;
    if (kept) {
      state = kept.state;
      state.renew(execution, taskRuns, now);
    } else {
      state = new ExecutionState(execution, taskRuns, now);
    }
    // a subflow's flow is loaded when the decision asks for it; the half-changed working copy is then
    // dropped and the decision taken again on a fresh one
    const loaded = new Map<string, StoredFlow | null>();
    let decision: Decision | undefined;
    while (!decision) {
      state.flows = loadedFlows(loaded);
      try {
        decision = decideOn(plan, state, event);
      } catch (error) {
        if (!(error instanceof FlowNeeded)) throw error;
        const { namespace, flowId, revision } = error;
        loaded.set(flowKey(namespace, flowId, revision), await loadFlow(tx, namespace, flowId, revision));
        ({ taskRuns, watermark } = await tx.executions.taskRunsSince(executionId, undefined));
        state = new ExecutionState(execution, taskRuns, now);
      }
    }
    const { stopped, messageIds } = await write(tx, executionId, decision);
    const ended = decision.execution?.state !== undefined && isTerminal(decision.execution.state);
    return {
      committed: {
        executionId,
        jobs: decision.jobs,
        stopped,
        ended,
        changed: hasChanges(decision),
        ...(messageIds.length ? { messageIds } : {}),
      },
      keep: () => {
        if (!ended) this.states.keep(executionId, { state, watermark });
      },
    };
  }
}

function hasChanges(decision: Decision): boolean {
  return (
    decision.execution !== undefined ||
    decision.insertTaskRuns.length > 0 ||
    decision.updateTaskRuns.length > 0 ||
    decision.jobs.length > 0 ||
    decision.kills.length > 0 ||
    decision.executions.length > 0 ||
    decision.deleteTaskRuns.length > 0
  );
}

async function loadFlow(
  tx: Repository,
  namespace: string,
  flowId: string,
  revision: number | undefined,
): Promise<StoredFlow | null> {
  const row =
    revision === undefined
      ? await tx.flows.latest(namespace, flowId)
      : await tx.flows.revision(namespace, flowId, revision);
  if (!row) return null;
  return { namespace: row.namespace, flowId: row.flowId, revision: row.revision, flow: row.document as Flow };
}

const send = (tx: Repository, message: ExecutorMessage, availableAt?: Date) =>
  tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, {
    key: message.executionId,
    ...(availableAt ? { availableAt } : {}),
  });

/**
 * Writes a decision; timers become delayed queue messages, so they survive a restart. Child executions are
 * inserted with the message that starts them; events for other executions are queued.
 */
async function write(
  tx: Repository,
  executionId: string,
  decision: Decision,
): Promise<{ stopped: StoppedJob[]; messageIds: number[] }> {
  if (decision.execution) await tx.executions.update(executionId, decision.execution);
  await tx.executions.deleteTaskRuns(decision.deleteTaskRuns);
  await tx.executions.insertTaskRuns(decision.insertTaskRuns);
  for (const { id, patch } of decision.updateTaskRuns) await tx.executions.updateTaskRun(id, patch);
  await tx.jobs.insert(decision.jobs);
  await tx.logs.insert(decision.logs);
  for (const { at, event } of decision.timers) await send(tx, { executionId, event }, at);
  const messageIds: number[] = [];
  for (const child of decision.executions) {
    await tx.executions.insert(child);
    messageIds.push(await send(tx, { executionId: child.id, event: { type: 'start' } }));
  }
  for (const message of decision.messages) messageIds.push(await send(tx, message));
  if (!decision.kills.length) return { stopped: [], messageIds };
  const reasons = new Map(decision.kills.map((k) => [k.taskRunId, k.reason]));
  const ended = await tx.jobs.stopForTaskRuns([...reasons.keys()]);
  const stopped = ended.map((job) => ({
    jobId: job.id,
    attempt: job.attempt,
    agentId: job.agentId,
    reason: reasons.get(job.taskRunId) ?? 'killed',
  }));
  return { stopped, messageIds };
}
