// A working copy of one execution during one decision: task runs indexed for lookup, and every change
// recorded so that the decision writes only the rows it touched.

import { isTerminal, newId, State } from '../../protocol/index.ts';
import type {
  Attempt,
  ExecutionPatch,
  ExecutionRow,
  NewExecution,
  NewJob,
  NewLog,
  TaskRunPatch,
  TaskRunRow,
} from '../repository/index.ts';
import type { SlotChange } from './concurrency.ts';
import type { ExecutorMessage, Kill, Timer } from './events.ts';
import type { FlowLookup } from './flowables/flows.ts';

/** Everything one decision writes; the executor commits it in one transaction. */
export interface Decision {
  execution: ExecutionPatch | undefined;
  insertTaskRuns: TaskRunRow[];
  updateTaskRuns: { id: string; patch: TaskRunPatch }[];
  jobs: NewJob[];
  logs: NewLog[];
  /** events to deliver later (retry delays, timeouts, pause delays), as delayed queue messages */
  timers: Timer[];
  /** task runs whose running or queued job must be stopped */
  kills: Kill[];
  /**
   * executions this decision creates, each started by a `start` message: subflows at once, a retry of
   * this execution as a new one at `startAt`
   */
  executions: { execution: NewExecution; startAt?: Date }[];
  /** events for other executions (a child's end to its parent, a kill to a child) */
  messages: ExecutorMessage[];
  /** task runs removed (the children of a LoopUntil iteration that starts again) */
  deleteTaskRuns: string[];
  /** how the flow's concurrency slots change (flows with a `concurrency` limit only) */
  slots?: SlotChange;
}

const key = (parentId: string | null | undefined, taskId: string, value: string | null | undefined) =>
  `${parentId ?? ''}\u0000${taskId}\u0000${value ?? ''}`;

export class ExecutionState {
  execution: ExecutionRow;
  now: Date;
  private readonly runs = new Map<string, TaskRunRow>();
  private readonly byId = new Map<string, TaskRunRow>();
  private readonly children = new Map<string, TaskRunRow[]>();
  private inserted = new Set<string>();
  private changed = new Map<string, TaskRunPatch>();
  private deleted = new Set<string>();
  private before = new Map<string, Pick<TaskRunRow, 'state' | 'attempts'>>();
  private executionPatch: ExecutionPatch | undefined;
  jobs: NewJob[] = [];
  logs: NewLog[] = [];
  timers: Timer[] = [];
  kills: Kill[] = [];
  executions: Decision['executions'] = [];
  messages: ExecutorMessage[] = [];
  /** the flows subflows start (see flowables/flows.ts); the executor sets it for each decision */
  flows: FlowLookup = () => null;
  /** bumped whenever a task run's outputs change, so rendered contexts can be cached in between */
  outputsVersion = 0;
  /**
   * Bumped whenever a terminal task run opens again (a restart) or a task run this state did not create
   * appears: what a flowable remembered about finished parts of the execution (`recall`) is then stale.
   */
  private reopened = 0;
  private readonly memos = new Map<string, { reopened: number; value: unknown }>();
  /** bumped by every change to a task run, which records it: a flowable can tell what changed since */
  private tick = 0;
  private readonly touched = new Map<string, number>();

  constructor(execution: ExecutionRow, taskRuns: TaskRunRow[], now: Date, flows?: FlowLookup) {
    if (flows) this.flows = flows;
    this.execution = { ...execution };
    this.now = now;
    for (const run of taskRuns) this.index({ ...run });
  }

  /**
   * Makes a state kept from an earlier, committed decision ready for the next one: the execution as
   * locked now, the task runs written since (by anyone, this executor included), nothing recorded yet.
   */
  renew(execution: ExecutionRow, written: TaskRunRow[], now: Date): void {
    this.execution = { ...execution };
    this.now = now;
    this.inserted = new Set();
    this.changed = new Map();
    this.deleted = new Set();
    this.before = new Map();
    this.executionPatch = undefined;
    this.jobs = [];
    this.logs = [];
    this.timers = [];
    this.kills = [];
    this.executions = [];
    this.messages = [];
    for (const run of written) {
      const known = this.byId.get(run.id);
      if (!known) {
        this.reopened++;
        this.index({ ...run });
        continue;
      }
      if (isTerminal(known.state) && !isTerminal(run.state)) this.reopened++;
      Object.assign(known, run);
      this.touched.set(known.id, ++this.tick);
    }
    if (written.length) this.outputsVersion++;
  }

  private index(run: TaskRunRow) {
    this.touched.set(run.id, ++this.tick);
    this.runs.set(key(run.parentTaskRunId, run.taskId, run.value), run);
    this.byId.set(run.id, run);
    if (run.parentTaskRunId === null) return;
    const siblings = this.children.get(run.parentTaskRunId);
    if (siblings) siblings.push(run);
    else this.children.set(run.parentTaskRunId, [run]);
  }

  find(parentId: string | undefined, taskId: string, value?: string): TaskRunRow | undefined {
    return this.runs.get(key(parentId, taskId, value));
  }

  get(id: string): TaskRunRow | undefined {
    return this.byId.get(id);
  }

  allRuns(): Iterable<TaskRunRow> {
    return this.byId.values();
  }

  /** The task runs whose parent is `id`, in creation order. */
  childrenOf(id: string): readonly TaskRunRow[] {
    return this.children.get(id) ?? [];
  }

  createRun(
    taskId: string,
    parentId: string | undefined,
    value: string | undefined,
    state: State,
  ): TaskRunRow {
    const date = this.now.toISOString();
    const run: TaskRunRow = {
      id: newId(),
      executionId: this.execution.id,
      parentTaskRunId: parentId ?? null,
      taskId,
      value: value ?? null,
      state,
      histories:
        state === State.CREATED
          ? [{ state, date }]
          : [
              { state: State.CREATED, date },
              { state, date },
            ],
      attempts: [],
      outputs: null,
      meta: null,
      startDate: this.now,
      endDate: isTerminal(state) ? this.now : null,
      writtenXid: 0, // set by the database
    };
    this.index(run);
    this.inserted.add(run.id);
    return run;
  }

  /**
   * What a flowable noted about the finished part of its children in an earlier decision (for example
   * how many ForEach iterations are over), while no finished task run has opened again since.
   */
  recall<T>(key: string): T | undefined {
    const memo = this.memos.get(key);
    return memo && memo.reopened === this.reopened ? (memo.value as T) : undefined;
  }

  note(key: string, value: unknown): void {
    this.memos.set(key, { reopened: this.reopened, value });
  }

  /** A reading of the change clock, to pass to `changedSince` later. */
  get clock(): number {
    return this.tick;
  }

  /** Whether the task run changed (or appeared, or is unknown) after the clock read `clock`. */
  changedSince(id: string, clock: number): boolean {
    return (this.touched.get(id) ?? Number.POSITIVE_INFINITY) > clock;
  }

  /** Removes the task runs below `id` (not `id` itself), deepest first. */
  removeBelow(id: string) {
    if (this.childrenOf(id).length) this.reopened++;
    for (const child of [...this.childrenOf(id)]) {
      this.removeBelow(child.id);
      this.runs.delete(key(child.parentTaskRunId, child.taskId, child.value));
      this.byId.delete(child.id);
      this.touched.delete(child.id);
      this.changed.delete(child.id);
      if (!this.inserted.delete(child.id)) this.deleted.add(child.id);
      if (child.outputs !== null) this.outputsVersion++;
    }
    this.children.delete(id);
  }

  updateRun(run: TaskRunRow, patch: TaskRunPatch) {
    if ('outputs' in patch) this.outputsVersion++;
    if (patch.state !== undefined && isTerminal(run.state) && !isTerminal(patch.state)) this.reopened++;
    if (!this.inserted.has(run.id) && !this.before.has(run.id)) {
      this.before.set(run.id, { state: run.state, attempts: run.attempts });
    }
    Object.assign(run, patch);
    this.touched.set(run.id, ++this.tick);
    if (this.inserted.has(run.id)) return;
    this.changed.set(run.id, { ...this.changed.get(run.id), ...patch });
  }

  /** A task run this decision changed, as it was read before the decision (to check nobody changed it since). */
  asRead(id: string): Pick<TaskRunRow, 'state' | 'attempts'> | undefined {
    return this.before.get(id);
  }

  /** Moves a task run to `state`, adding to its history; a terminal state also sets its end date. */
  setRunState(run: TaskRunRow, state: State, extra: TaskRunPatch = {}) {
    if (run.state === state && !Object.keys(extra).length) return;
    const histories =
      run.state === state ? run.histories : [...run.histories, { state, date: this.now.toISOString() }];
    this.updateRun(run, { state, histories, ...(isTerminal(state) ? { endDate: this.now } : {}), ...extra });
  }

  /** Ends the running attempt with `end`, or adds an ended one when none is running (no agent took it). */
  endAttempt(run: TaskRunRow, end: Omit<Attempt, 'startDate'>) {
    const last = run.attempts.at(-1);
    const running = last !== undefined && last.endDate === undefined;
    const attempt: Attempt = { ...(running ? last : { startDate: this.now.toISOString() }), ...end };
    const attempts = running ? [...run.attempts.slice(0, -1), attempt] : [...run.attempts, attempt];
    this.updateRun(run, { attempts });
  }

  /** Merges `patch` into the task run's executor bookkeeping. */
  patchMeta(run: TaskRunRow, patch: Record<string, unknown>) {
    this.updateRun(run, { meta: { ...run.meta, ...patch } });
  }

  setExecutionState(state: State, extra: ExecutionPatch = {}) {
    if (this.execution.state === state && !Object.keys(extra).length) return;
    const histories =
      this.execution.state === state
        ? this.execution.histories
        : [...this.execution.histories, { state, date: this.now.toISOString() }];
    this.patchExecution({ state, histories, ...(isTerminal(state) ? { endDate: this.now } : {}), ...extra });
  }

  patchExecution(patch: ExecutionPatch) {
    Object.assign(this.execution, patch);
    this.executionPatch = { ...this.executionPatch, ...patch };
  }

  /** Fails a task run for a reason the executor found (not an agent), with the reason in its logs. */
  fail(run: TaskRunRow, message: string): TaskRunRow {
    this.log(run, 'ERROR', message);
    this.setRunState(run, State.FAILED);
    return run;
  }

  timer(at: Date, event: Timer['event']) {
    this.timers.push({ at, event });
  }

  log(run: TaskRunRow | undefined, level: 'INFO' | 'WARN' | 'ERROR', message: string) {
    this.logs.push({
      executionId: this.execution.id,
      taskRunId: run?.id ?? null,
      taskId: run?.taskId ?? null,
      level,
      message,
      ts: this.now,
    });
  }

  decision(): Decision {
    return {
      execution: this.executionPatch,
      insertTaskRuns: [...this.inserted].map((id) => this.byId.get(id)!),
      updateTaskRuns: [...this.changed].map(([id, patch]) => ({ id, patch })),
      jobs: this.jobs,
      logs: this.logs,
      timers: this.timers,
      kills: this.kills,
      executions: this.executions,
      messages: this.messages,
      deleteTaskRuns: [...this.deleted],
    };
  }
}
