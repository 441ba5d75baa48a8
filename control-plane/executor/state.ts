// A working copy of one execution during one decision: task runs indexed for lookup, and every change
// recorded so that the decision writes only the rows it touched.

import { isTerminal, newId, State } from '../../protocol/index.ts';
import type {
  Attempt,
  ExecutionPatch,
  ExecutionRow,
  NewJob,
  NewLog,
  TaskRunPatch,
  TaskRunRow,
} from '../repository/index.ts';

/** Everything one decision writes; the executor commits it in one transaction. */
export interface Decision {
  execution: ExecutionPatch | undefined;
  insertTaskRuns: TaskRunRow[];
  updateTaskRuns: { id: string; patch: TaskRunPatch }[];
  jobs: NewJob[];
  logs: NewLog[];
}

const key = (parentId: string | null | undefined, taskId: string, value: string | null | undefined) =>
  `${parentId ?? ''}\u0000${taskId}\u0000${value ?? ''}`;

export class ExecutionState {
  readonly execution: ExecutionRow;
  private readonly runs = new Map<string, TaskRunRow>();
  private readonly byId = new Map<string, TaskRunRow>();
  private readonly inserted = new Set<string>();
  private readonly changed = new Map<string, TaskRunPatch>();
  private executionPatch: ExecutionPatch | undefined;
  readonly jobs: NewJob[] = [];
  readonly logs: NewLog[] = [];

  constructor(
    execution: ExecutionRow,
    taskRuns: TaskRunRow[],
    readonly now: Date,
  ) {
    this.execution = { ...execution };
    for (const run of taskRuns) this.index({ ...run });
  }

  private index(run: TaskRunRow) {
    this.runs.set(key(run.parentTaskRunId, run.taskId, run.value), run);
    this.byId.set(run.id, run);
  }

  find(parentId: string | undefined, taskId: string, value?: string): TaskRunRow | undefined {
    return this.runs.get(key(parentId, taskId, value));
  }

  get(id: string): TaskRunRow | undefined {
    return this.byId.get(id);
  }

  allRuns(): TaskRunRow[] {
    return [...this.byId.values()];
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
    };
    this.index(run);
    this.inserted.add(run.id);
    return run;
  }

  updateRun(run: TaskRunRow, patch: TaskRunPatch) {
    Object.assign(run, patch);
    if (this.inserted.has(run.id)) return;
    this.changed.set(run.id, { ...this.changed.get(run.id), ...patch });
  }

  /** Moves a task run to `state`, adding to its history; a terminal state also sets its end date. */
  setRunState(run: TaskRunRow, state: State, extra: TaskRunPatch = {}) {
    if (run.state === state && !Object.keys(extra).length) return;
    const histories =
      run.state === state ? run.histories : [...run.histories, { state, date: this.now.toISOString() }];
    this.updateRun(run, { state, histories, ...(isTerminal(state) ? { endDate: this.now } : {}), ...extra });
  }

  replaceLastAttempt(run: TaskRunRow, attempt: Attempt) {
    const attempts = run.attempts.length ? [...run.attempts.slice(0, -1), attempt] : [attempt];
    this.updateRun(run, { attempts });
  }

  setExecutionState(state: State, extra: ExecutionPatch = {}) {
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
    };
  }
}
