// The executor component: takes executor messages from the queue, locks the execution, decides, and
// commits the decision in the same transaction; then tells local listeners (dispatcher, webserver).
import { EventEmitter } from 'node:events';
import { type Flow, TaskKind } from '../../protocol/flow/index.ts';
import { isTerminal, RoostError, State } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { QueueConsumer } from '../queue/index.ts';
import type {
  Attempt,
  Connection,
  ExecutionRow,
  NewJob,
  QueueRow,
  Repository,
  TaskRunRow,
} from '../repository/index.ts';
import { type Slots, waitsForSlot } from './concurrency.ts';
import { decideOn } from './decide.ts';
import { EXECUTOR_TOPIC, type ExecutorEvent, type ExecutorMessage } from './events.ts';
import { FlowNeeded, flowKey, loadedFlows, type StoredFlow } from './flowables/flows.ts';
import { resumeInputErrors } from './flowables/pause.ts';
import type { RenderHost } from './host.ts';
import type { FlowPlan } from './plan.ts';
import { FlowPlans } from './plans.ts';
import { type Decision, ExecutionState } from './state.ts';
import { type KeptState, StateCache } from './state-cache.ts';

export interface ExecutorOptions {
  repository: Repository;
  connection: Pick<Connection, 'listen'>;
  logger: Logger;
  now?: () => Date;
  pollIntervalMs?: number;
  /** the control plane's envs, globals and secrets for the expressions the executor renders */
  host?: RenderHost;
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

/**
 * The read a decision on an execution starts with, asked for ahead by a caller that has statements of its
 * own to send first in the same transaction: they all go out together (see `Executor.prepare`).
 */
export interface PreparedRead {
  executionId: string;
  /** the decision's clock reading */
  now: Date;
  kept: KeptState | undefined;
  read: Promise<{ taskRuns: TaskRunRow[]; watermark: number }>;
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
  private readonly plans: FlowPlans;
  private readonly states = new StateCache();
  private readonly now: () => Date;

  constructor(private readonly options: ExecutorOptions) {
    super();
    this.now = options.now ?? (() => new Date());
    this.plans = new FlowPlans(options.host);
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
   * the decision commit together. Several messages must be for one execution: one decision takes them
   * all (a burst of results). Call the returned function after the commit.
   */
  async submitInline(
    tx: Repository,
    message: ExecutorMessage | readonly ExecutorMessage[],
    locked?: ExecutionRow,
    prepared?: PreparedRead,
  ): Promise<Submitted> {
    const messages: readonly ExecutorMessage[] = Array.isArray(message) ? message : [message];
    const executionId = messages[0]?.executionId;
    if (!executionId || messages.some((m) => m.executionId !== executionId))
      throw new Error('submitInline takes one or more messages of one execution');
    if (prepared && prepared.executionId !== executionId)
      throw new Error('submitInline was given the read of another execution');
    const outcome = await this.decideAndWrite(
      tx,
      executionId,
      messages.map((m) => m.event),
      locked,
      prepared,
    );
    return {
      ...(outcome ? { committed: outcome.committed } : {}),
      after: () => this.afterCommit(outcome),
    };
  }

  /**
   * Sends the read a decision on `executionId` starts with now, without waiting for it: call it right
   * after sending the statement that locks the execution, in the same transaction (statements run in the
   * order sent), and pass what it returns to `submitInline`. The decision takes `now` as its time.
   */
  prepare(tx: Repository, executionId: string, now = this.now()): PreparedRead {
    const kept = this.states.take(executionId);
    const read = tx.executions.taskRunsSince(executionId, kept?.watermark);
    // awaited by the decision; if the transaction fails first, nobody does
    read.catch(() => {});
    return { executionId, now, kept, read };
  }

  private afterCommit(outcome: Outcome | undefined): void {
    if (!outcome) return;
    outcome.keep();
    // messages to other executions (a child to start, a parent, a child to kill): handed over in memory
    for (const id of outcome.committed.messageIds ?? []) this.handOver(id);
    this.emit('committed', outcome.committed);
  }

  /** Sends an event to an execution (kill, resume): committed first, then handed over in memory. */
  async send(executionId: string, event: ExecutorEvent): Promise<void> {
    const message: ExecutorMessage = { executionId, event };
    const id = await this.options.repository.transaction((tx) =>
      tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, { key: executionId }),
    );
    this.handOver(id);
  }

  /**
   * Decides on `event` now, in one transaction that holds the execution's lock from the check to the
   * commit: `refusal` says why the event cannot apply to the execution as it is (nothing is written
   * then). Returns the execution as committed.
   */
  async decideNow(
    executionId: string,
    event: ExecutorEvent,
    refusal: (execution: ExecutionRow) => string | undefined,
  ): Promise<ExecutionRow> {
    const { repository } = this.options;
    const outcome = await repository.transaction(async (tx) => {
      const execution = await tx.executions.lock(executionId);
      if (!execution) throw new RoostError('ROOST_NOT_FOUND', `execution ${executionId} does not exist`);
      const reason = refusal(execution);
      if (reason) throw new RoostError('ROOST_CONFLICT', reason);
      return this.decideAndWrite(tx, executionId, [event], execution);
    });
    this.afterCommit(outcome);
    return (await repository.executions.get(executionId))!;
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
    const { executionId, event } = message.payload as unknown as ExecutorMessage;
    return this.decideAndWrite(tx, executionId, [event]);
  }

  private async decideAndWrite(
    tx: Repository,
    executionId: string,
    events: readonly ExecutorEvent[],
    locked?: ExecutionRow,
    prepared?: PreparedRead,
  ): Promise<Outcome | undefined> {
    const execution = locked?.id === executionId ? locked : await tx.executions.lock(executionId);
    const kept = prepared ? prepared.kept : this.states.take(executionId);
    if (!execution) {
      this.options.logger.warn({ executionId }, 'executor message for a missing execution dropped');
      return undefined;
    }
    const plan = await this.plans.get(tx, execution.namespace, execution.flowId, execution.flowRevision);
    // an ended execution takes a restart, and runs its afterExecution tasks; nothing else
    const restart = events.some((e) => e.type === 'restart');
    if (isTerminal(execution.state) && !restart && !plan.flow.afterExecution?.length) return undefined;
    const slots = await this.slots(tx, plan, execution, events);
    const now = prepared?.now ?? this.now();
    let read = await (prepared?.read ?? tx.executions.taskRunsSince(executionId, kept?.watermark));
    let state: ExecutionState;
    if (kept) {
      state = kept.state;
      state.renew(execution, read.taskRuns, now);
    } else {
      state = new ExecutionState(execution, read.taskRuns, now);
    }
    const fresh = async () => {
      read = await tx.executions.taskRunsSince(executionId);
      state = new ExecutionState(execution, read.taskRuns, now);
    };
    // a subflow's flow is loaded when the decision asks for it; the half-changed working copy is then
    // dropped and the decision taken again on a fresh one
    const loaded = new Map<string, StoredFlow | null>();
    const decideLoading = async (): Promise<Decision> => {
      for (;;) {
        state.flows = loadedFlows(loaded);
        try {
          return decideOn(plan, state, events, slots);
        } catch (error) {
          if (!(error instanceof FlowNeeded)) throw error;
          const { namespace, flowId, revision } = error;
          loaded.set(flowKey(namespace, flowId, revision), await loadFlow(tx, namespace, flowId, revision));
          await fresh();
        }
      }
    };
    let decision = await decideLoading();
    // the dispatcher writes attempts without the execution's lock (a lease granted, an agent lost):
    // lock what the decision rewrites, in the dispatcher's order (job, then task run), and decide again
    // from a fresh read when the dispatcher changed it since the read
    for (let round = 1; await changedSinceRead(tx, plan, state, decision, events); round++) {
      if (round >= 3)
        throw new Error(`task runs of execution ${executionId} keep changing under the executor`);
      await fresh();
      decision = await decideLoading();
    }
    const { watermark } = read;
    const { stopped, messageIds } = await write(tx, execution, decision);
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

  /**
   * For an execution of a flow with a `concurrency` limit that needs a slot (to start, or to restart):
   * locks the flow's counter and says whether a slot is free for it. A restart that finds none is refused.
   */
  private async slots(
    tx: Repository,
    plan: FlowPlan,
    execution: ExecutionRow,
    events: readonly ExecutorEvent[],
  ): Promise<Slots | undefined> {
    const concurrency = plan.flow.concurrency;
    const restart = events.some((e) => e.type === 'restart');
    const kill = events.some((e) => e.type === 'kill');
    if (!concurrency || kill || !(restart || waitsForSlot(plan, execution))) return undefined;
    const { namespace, flowId } = execution;
    const running = await tx.concurrency.lock(namespace, flowId);
    const queued = execution.state === State.QUEUED;
    const free =
      running < concurrency.limit &&
      !(await tx.concurrency.queuedAhead(namespace, flowId, { ...execution, queued }));
    if (restart && !free) {
      throw new RoostError(
        'ROOST_CONFLICT',
        `flow ${namespace}.${flowId} has reached its concurrency limit of ${concurrency.limit} running executions: restart ${execution.id} once one has ended`,
      );
    }
    return { free };
  }
}

/**
 * Whether a task run the decision rewrites had its attempts changed by the dispatcher since it was read.
 * Only runnable task runs still open when read can change so; those whose results these are cannot
 * (their jobs were ended by the transaction that records the results). Their jobs and rows stay locked.
 */
async function changedSinceRead(
  tx: Repository,
  plan: FlowPlan,
  state: ExecutionState,
  decision: Decision,
  events: readonly ExecutorEvent[],
): Promise<boolean> {
  const own = new Set(events.flatMap((e) => (e.type === 'result' ? [e.taskRunId] : [])));
  const exposed: { id: string; attempts: Attempt[] }[] = [];
  for (const { id } of decision.updateTaskRuns) {
    const read = state.asRead(id);
    const run = state.get(id);
    if (!read || !run || own.has(id) || isTerminal(read.state)) continue;
    if (plan.types.get(run.taskId)?.kind === TaskKind.FLOWABLE) continue;
    exposed.push({ id, attempts: read.attempts });
  }
  if (!exposed.length) return false;
  const ids = exposed.map((run) => run.id);
  await tx.jobs.lockOpenForTaskRuns(ids);
  const current = await tx.executions.lockAttempts(ids);
  return exposed.some((run) => !sameAttempts(run.attempts, current.get(run.id) ?? []));
}

function sameAttempts(a: readonly Attempt[], b: readonly Attempt[]): boolean {
  const [x, y] = [a.at(-1), b.at(-1)];
  return a.length === b.length && x?.state === y?.state && x?.endDate === y?.endDate;
}

function hasChanges(decision: Decision): boolean {
  return (
    decision.execution !== undefined ||
    decision.insertTaskRuns.length > 0 ||
    decision.updateTaskRuns.length > 0 ||
    decision.jobs.length > 0 ||
    decision.executions.length > 0 ||
    decision.kills.length > 0 ||
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
 * Writes a decision; timers become delayed queue messages, so they survive a restart. New executions are
 * inserted with the message that starts them, and events for other executions are queued: the ids of
 * those due now are returned, to hand over in memory after the commit. A change of the flow's
 * concurrency slots updates its counter, and wakes the execution that has waited longest.
 */
async function write(
  tx: Repository,
  execution: ExecutionRow,
  decision: Decision,
): Promise<{ stopped: StoppedJob[]; messageIds: number[] }> {
  const executionId = execution.id;
  const messageIds: number[] = [];
  // Statements whose results nothing here reads are sent without waiting for the one before: Postgres
  // runs them in the order sent, and a decision's writes take one round trip instead of one each. Each
  // is marked handled at once (a statement awaited meanwhile may throw first); all are awaited below.
  const sent: Promise<unknown>[] = [];
  const pipeline = (statement: Promise<unknown>) => {
    statement.catch(() => {});
    sent.push(statement);
  };
  if (decision.execution) pipeline(tx.executions.update(executionId, decision.execution));
  for (const { execution: next, startAt } of decision.executions) {
    await tx.executions.insert(next);
    const id = await send(tx, { executionId: next.id, event: { type: 'start' } }, startAt);
    if (!startAt) messageIds.push(id);
  }
  if (decision.slots) {
    const { namespace, flowId } = execution;
    if (decision.slots.delta) await tx.concurrency.add(namespace, flowId, decision.slots.delta);
    const next = decision.slots.wakeQueued
      ? await tx.concurrency.oldestQueued(namespace, flowId, executionId)
      : undefined;
    if (next) messageIds.push(await send(tx, { executionId: next, event: { type: 'wake' } }));
  }
  pipeline(tx.executions.deleteTaskRuns(decision.deleteTaskRuns));
  pipeline(tx.executions.insertTaskRuns(decision.insertTaskRuns));
  pipeline(tx.executions.updateTaskRuns(decision.updateTaskRuns));
  pipeline(tx.jobs.insert(decision.jobs));
  pipeline(tx.logs.insert(decision.logs));
  for (const { at, event } of decision.timers) await send(tx, { executionId, event }, at);
  for (const message of decision.messages) messageIds.push(await send(tx, message));
  await Promise.all(sent);
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
