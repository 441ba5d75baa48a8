// Runs the pure executor the way the control plane does, in memory: each decision is applied to the
// execution and its task runs, each job is leased at once (a new running attempt, as the dispatcher
// records it) and answered by `outcome`, timers fire in order on a virtual clock, and a killed task
// run's pending result is dropped (the dispatcher ends its job, so the agent's late result is refused).
// Like the executor, it keeps one working copy of each execution from decision to decision.
// Subflows run too: child executions of the flows given in `flows` are simulated beside the root, on the
// same clock, and messages between executions are delivered as events.
import type { SlotChange } from '../../control-plane/executor/concurrency.ts';
import type { StoredFlow } from '../../control-plane/executor/flowables/flows.ts';
import {
  type Decision,
  decideOn,
  ExecutionState,
  type ExecutorEvent,
  type FlowPlan,
  type Kill,
  planFlow,
  type RenderHost,
  type Timer,
} from '../../control-plane/executor/index.ts';
import type { ExecutionRow, NewLog, TaskRunRow } from '../../control-plane/repository/index.ts';
import { type Flow, flowLabels, parseFlow, validateInputValues } from '../../protocol/flow/index.ts';
import { isTerminal, type ResultState, State } from '../../protocol/index.ts';

export const START = new Date('2026-01-01T00:00:00.000Z');

/** A job as the simulated agent receives it. */
export interface SimJob {
  taskId: string;
  type: string;
  value: string | null;
  attempt: number;
  task: Record<string, unknown>;
  context: Record<string, unknown>;
  workerGroup: string | null;
  /** a WorkingDirectory child: the agent it must run on, and its shared directory */
  pinnedAgentId: string | null;
  workingDirectory?: { id: string; last: boolean; inputFiles?: unknown; outputFiles?: unknown };
}

/**
 * What the agent answers. 'hang': it runs and never answers (until killed or timed out); 'unclaimed': no
 * agent ever takes the job, so it stays queued with no attempt.
 */
export type SimOutcome =
  | { state: ResultState; outputs?: Record<string, unknown>; error?: { message: string } }
  | 'hang'
  | 'unclaimed';

export interface SimOptions {
  inputs?: Record<string, unknown>;
  outcome?: (job: SimJob) => SimOutcome | Promise<SimOutcome>;
  /** how long each attempt runs on the virtual clock (default 10 ms) */
  taskMs?: number;
  /** the agent that takes each job (default 'a') */
  agent?: (job: SimJob) => string;
  /** other flows (YAML or parsed), for the subflows the flow starts */
  flows?: (string | Flow)[];
  /** whether a concurrency slot of the flow is free (flows with `concurrency`; default: free) */
  slotFree?: () => boolean;
  /** the control plane's envs, globals and secrets for the executor's own renders (default: none) */
  host?: RenderHost;
}

interface Pending {
  at: number;
  seq: number;
  target: Simulation;
  event: ExecutorEvent;
}

/** What the executions of one simulation share: the clock, the events to deliver, every execution. */
interface Bus {
  now: Date;
  seq: number;
  pending: Pending[];
  executions: Map<string, Simulation>;
  flows: Map<string, StoredFlow>;
}

export class Simulation {
  execution: ExecutionRow;
  readonly plan: FlowPlan;
  readonly runs = new Map<string, TaskRunRow>();
  /** task ids of the jobs, in the order they were queued (one per attempt) */
  readonly order: string[] = [];
  readonly jobs: SimJob[] = [];
  readonly timers: Timer[] = [];
  readonly kills: Kill[] = [];
  readonly logs: NewLog[] = [];
  /** executions started by this one's subflows, in the order they were created */
  readonly children: Simulation[] = [];
  /** executions the decisions created (subflows, retries as new executions), with when each starts */
  readonly created: Decision['executions'] = [];
  /** the changes of the flow's concurrency slots, one per decision that changed them */
  readonly slotChanges: SlotChange[] = [];
  private readonly bus: Bus;
  private state: ExecutionState | undefined;
  /** task runs written since the last decision read them, as the executor reads only those */
  private readonly written = new Set<string>();

  constructor(
    source: string | Flow,
    private readonly options: SimOptions = {},
    child?: { bus: Bus; execution: ExecutionRow },
  ) {
    const flow = typeof source === 'string' ? parseFlow(source) : source;
    this.plan = planFlow(flow, 1, options.host);
    this.bus = child?.bus ?? {
      now: START,
      seq: 0,
      pending: [],
      executions: new Map(),
      flows: new Map(
        [
          flow,
          ...(options.flows ?? []).map((f) =>
            typeof f === 'string' ? parseFlow(f, { allowPlanned: true }) : f,
          ),
        ].map((f) => [
          `${f.namespace}.${f.id}`,
          { namespace: f.namespace, flowId: f.id, revision: 1, flow: f },
        ]),
      ),
    };
    if (child) {
      this.execution = child.execution;
      this.bus.executions.set(this.execution.id, this);
      return;
    }
    const { values, errors } = validateInputValues(flow, options.inputs ?? {});
    if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
    this.execution = executionRow({
      namespace: flow.namespace,
      flowId: flow.id,
      histories: [{ state: State.CREATED, date: START.toISOString() }],
      inputs: values,
      labels: {
        ...Object.fromEntries(flowLabels(flow).map(({ key, value }) => [key, value])),
        'system.correlationId': 'e1',
      },
    });
    this.bus.executions.set(this.execution.id, this);
  }

  get now(): Date {
    return this.bus.now;
  }

  set now(date: Date) {
    this.bus.now = date;
  }

  /** Delivers `event` now, then runs until nothing is left to happen (in this execution and its children). */
  async send(event: ExecutorEvent, maxSteps = 2000): Promise<this> {
    // an ended execution takes a restart at once (what is still pending for it stays stale)
    if (isTerminal(this.execution.state) && event.type === 'restart') await this.decideOn(event);
    else this.push(this.now.getTime(), event);
    const { pending } = this.bus;
    for (let step = 0; step < maxSteps && pending.length; step++) {
      pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = pending.shift()!;
      const { execution, plan } = next.target;
      if (isTerminal(execution.state) && !plan.flow.afterExecution?.length) continue;
      if (next.at > this.now.getTime()) this.bus.now = new Date(next.at);
      await next.target.decideOn(next.event);
    }
    return this;
  }

  private async decideOn(event: ExecutorEvent) {
    // an execution that ended still runs its afterExecution tasks
    const ended = isTerminal(this.execution.state);
    if (ended && event.type !== 'restart' && !this.plan.flow.afterExecution?.length) return;
    if (this.state) {
      const written = [...this.written].flatMap((id) => this.runs.get(id) ?? []);
      this.state.renew(this.execution, written, this.now);
    } else this.state = new ExecutionState(this.execution, [...this.runs.values()], this.now);
    this.written.clear();
    this.state.flows = (namespace, flowId) => this.bus.flows.get(`${namespace}.${flowId}`) ?? null;
    await this.apply(decideOn(this.plan, this.state, event, { free: this.options.slotFree?.() ?? true }));
  }

  private push(at: number, event: ExecutorEvent, target: Simulation = this) {
    this.bus.pending.push({ at, seq: this.bus.seq++, target, event });
  }

  private async apply(decision: Decision) {
    if (decision.execution) this.execution = { ...this.execution, ...decision.execution };
    for (const id of decision.deleteTaskRuns) this.runs.delete(id);
    if (decision.slots) this.slotChanges.push(decision.slots);
    this.created.push(...decision.executions);
    for (const run of decision.insertTaskRuns) {
      this.runs.set(run.id, { ...run });
      this.written.add(run.id);
    }
    for (const { id, patch } of decision.updateTaskRuns) {
      this.runs.set(id, { ...this.runs.get(id)!, ...patch });
      this.written.add(id);
    }
    this.logs.push(...decision.logs);
    for (const kill of decision.kills) {
      this.kills.push(kill);
      const { pending } = this.bus;
      const stale = pending.filter(
        (p) => p.target === this && p.event.type === 'result' && p.event.taskRunId === kill.taskRunId,
      );
      for (const item of stale) pending.splice(pending.indexOf(item), 1);
    }
    // subflows run beside this execution; a retry as a new execution (it has a start date) is only recorded
    for (const { execution: created, startAt } of decision.executions) {
      if (startAt) continue;
      const execution = created as ExecutionRow;
      const stored = this.bus.flows.get(`${execution.namespace}.${execution.flowId}`)!;
      const child = new Simulation(stored.flow, this.options, { bus: this.bus, execution });
      this.children.push(child);
      this.push(this.now.getTime(), { type: 'start' }, child);
    }
    for (const message of decision.messages) {
      const target = this.bus.executions.get(message.executionId);
      if (target) this.push(this.now.getTime(), message.event, target);
    }
    for (const timer of decision.timers) {
      this.timers.push(timer);
      this.push(timer.at.getTime(), timer.event);
    }
    for (const job of decision.jobs) {
      const task = job.payload.task;
      const simJob: SimJob = {
        taskId: String(task.id),
        type: String(task.type),
        value: this.runs.get(job.taskRunId)!.value,
        attempt: job.attempt ?? 1,
        task,
        context: job.payload.context,
        workerGroup: job.workerGroup ?? null,
        pinnedAgentId: job.pinnedAgentId ?? null,
        ...(job.payload.workingDirectory ? { workingDirectory: job.payload.workingDirectory } : {}),
      };
      this.jobs.push(simJob);
      this.order.push(simJob.taskId);
      const result = (await this.options.outcome?.(simJob)) ?? { state: 'SUCCESS' };
      if (result === 'unclaimed') continue;
      const agentId = this.options.agent?.(simJob) ?? 'a';
      const run = this.lease(job.taskRunId, agentId);
      if (result === 'hang') continue;
      this.push(this.now.getTime() + (this.options.taskMs ?? 10), {
        type: 'result',
        taskRunId: run.id,
        attempt: simJob.attempt,
        agentId,
        state: result.state,
        outputs: result.outputs ?? {},
        ...(result.error ? { error: result.error } : {}),
      });
    }
  }

  /** What the dispatcher records when an agent takes the job: a new running attempt. */
  private lease(taskRunId: string, agentId: string): TaskRunRow {
    const run = this.runs.get(taskRunId)!;
    const date = this.now.toISOString();
    const leased: TaskRunRow = {
      ...run,
      state: State.RUNNING,
      attempts: [...run.attempts, { state: 'RUNNING', startDate: date, agentId }],
      histories: run.state === State.RUNNING ? run.histories : [...run.histories, { state: 'RUNNING', date }],
    };
    this.runs.set(taskRunId, leased);
    this.written.add(taskRunId);
    return leased;
  }

  /** Every subflow execution below this one, depth first. */
  get descendants(): Simulation[] {
    return this.children.flatMap((child) => [child, ...child.descendants]);
  }

  get count(): number {
    return this.runs.size;
  }

  /** State of each task run by task id (the last one created, for tasks inside loops). */
  get states(): Record<string, State> {
    return Object.fromEntries([...this.runs.values()].map((run) => [run.taskId, run.state]));
  }

  /** The task runs of a task, in creation order. */
  runsOf(taskId: string): TaskRunRow[] {
    return [...this.runs.values()].filter((run) => run.taskId === taskId);
  }

  /** The one task run of a task (with `value`, inside a loop); throws if there is not exactly one. */
  run(taskId: string, value?: string): TaskRunRow {
    const found = this.runsOf(taskId).filter((run) => value === undefined || run.value === value);
    if (found.length !== 1)
      throw new Error(`${found.length} task runs of ${taskId} (${value ?? 'any value'})`);
    return found[0]!;
  }

  /** The task run of a task inside loops, by the loop values, outermost first (Kestra's findTaskRunByTaskIdAndValue). */
  runAt(taskId: string, ...values: string[]): TaskRunRow {
    const path = (run: TaskRunRow): string[] => {
      const parent = run.parentTaskRunId === null ? undefined : this.runs.get(run.parentTaskRunId);
      const above = parent ? path(parent) : [];
      return run.value === null ? above : [...above, run.value];
    };
    const found = this.runsOf(taskId).filter((run) => path(run).join('\u0000') === values.join('\u0000'));
    if (found.length !== 1)
      throw new Error(`${found.length} task runs of ${taskId} at ${values.join(' / ')}`);
    return found[0]!;
  }

  historyOf(taskId: string): string[] {
    return this.run(taskId).histories.map((h) => h.state);
  }

  get executionHistory(): string[] {
    return this.execution.histories.map((h) => h.state);
  }
}

/** An execution row `e1` of flow t.f, created at START, with `overrides`. */
export function executionRow(overrides: Partial<ExecutionRow> = {}): ExecutionRow {
  return {
    id: 'e1',
    namespace: 't',
    flowId: 'f',
    flowRevision: 1,
    state: State.CREATED,
    histories: [],
    inputs: {},
    outputs: null,
    labels: {},
    trigger: null,
    parentId: null,
    originalId: null,
    attemptNumber: 1,
    originalStartDate: null,
    error: null,
    version: 1,
    startDate: START,
    endDate: null,
    ...overrides,
  };
}

/** Starts an execution of the flow and runs it until it ends or waits (paused, or a task that hangs). */
export async function simulate(source: string | Flow, options: SimOptions = {}): Promise<Simulation> {
  return new Simulation(source, options).send({ type: 'start' });
}

/** Answers each job by task id: SUCCESS unless the task id is listed as failing. */
export const failing =
  (...ids: string[]) =>
  (job: SimJob): SimOutcome => ({ state: ids.includes(job.taskId) ? 'FAILED' : 'SUCCESS' });

/** A YAML flow written indented in a template literal: common indentation removed, `id` and `namespace` added. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indent = Math.min(...[...text.matchAll(/^( *)\S/gm)].map((m) => m[1]!.length));
  return `id: f\nnamespace: t\n${text.replace(new RegExp(`^ {${indent}}`, 'gm'), '')}`;
}
