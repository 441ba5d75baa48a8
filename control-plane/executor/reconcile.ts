// The executor's decision logic, pure: given an execution's task runs and its flow, create what should
// run next and settle what has finished. Every pass is idempotent; it only reads and changes the state.
// A pass walks the flow's lists down to every task run that is not terminal; terminal subtrees are
// looked up but not entered, so its cost grows with the open part of the execution.
import { type TaskDef, TaskKind, type TaskTypeInfo, TypeStatus } from '../../protocol/flow/index.ts';
import { isFailure, isTerminal, State, worstState } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { awaitingRetry } from './attempts.ts';
import { taskRunContext } from './context.ts';
import { FLOWABLES } from './flowables/index.ts';
import { armTimeout, queueAttempt } from './jobs.ts';
import { allowed, type FlowPlan, taskOf } from './plan.ts';
import { type Rendered, renderCondition, renderFlowOutputs } from './rendering.ts';
import type { ExecutionState } from './state.ts';

/** How far a list of tasks (or a flowable task) has come. */
export type ListStatus = { done: false } | { done: true; state: State; outputs?: Record<string, unknown> };

/** One task of a list, with the loop value its task run carries. */
export interface ListEntry {
  ref: unknown;
  value?: string | undefined;
}

export class Reconciler {
  /** task runs found PAUSED during this pass */
  private paused = 0;
  /** task runs found waiting for a retry in place during this pass */
  private retrying = 0;

  constructor(
    readonly plan: FlowPlan,
    readonly state: ExecutionState,
  ) {}

  /** Advances the whole execution as far as it can go now. */
  run(): void {
    const { state, plan } = this;
    if (isTerminal(state.execution.state)) {
      this.afterExecution();
      return;
    }
    // an execution that starts, leaves the queue or restarts passes through RUNNING
    const starting: State[] = [State.CREATED, State.QUEUED, State.RESTARTED];
    if (starting.includes(state.execution.state)) state.setExecutionState(State.RUNNING);
    const status = this.withHandlers(plan.flow.tasks, plan.flow.errors, plan.flow.finally, undefined);
    if (!status.done) {
      // as in Kestra, the execution is RETRYING while a task run waits for its next attempt in place
      state.setExecutionState(this.paused ? State.PAUSED : this.retrying ? State.RETRYING : State.RUNNING);
      return;
    }
    const rendered = renderFlowOutputs(plan, state);
    if (rendered.error) {
      state.log(undefined, 'ERROR', rendered.error);
      state.setExecutionState(State.FAILED, { outputs: null, error: { message: rendered.error } });
    } else {
      state.setExecutionState(status.state, rendered.outputs ? { outputs: rendered.outputs } : {});
    }
    this.afterExecution();
  }

  /**
   * The flow's `afterExecution` tasks, once the execution has its final state (KILLED included): one
   * after another, stopping at a failure, and whatever they end in, the execution keeps its state.
   */
  private afterExecution(): void {
    const tasks = this.plan.flow.afterExecution;
    if (tasks?.length) this.list(tasks, undefined);
  }

  /** Runs `tasks` one after another, then `errors` if they failed, then `finally`. */
  withHandlers(tasks: unknown, errors: unknown, final: unknown, parent: TaskRunRow | undefined): ListStatus {
    return this.guarded(parent, () => this.list(tasks, parent), errors, final);
  }

  /**
   * Runs `main`, then `errors` if it failed, then `finally`; the state is the worst of the main part and
   * `finally`. An errors branch runs but never turns a failure into success.
   */
  guarded(
    parent: TaskRunRow | undefined,
    main: () => ListStatus,
    errors: unknown,
    final: unknown,
  ): ListStatus {
    const status = main();
    if (!status.done) return status;
    let state = status.state;
    if (isFailure(state) && Array.isArray(errors) && errors.length) {
      const handled = this.list(errors, parent);
      if (!handled.done) return handled;
      state = worstState([state, handled.state]);
    }
    if (Array.isArray(final) && final.length) {
      const after = this.list(final, parent);
      if (!after.done) return after;
      state = worstState([state, after.state]);
    }
    return { ...status, state };
  }

  /** Walks a list of tasks under `parent`, all with the same loop value (see `walk`). */
  list(tasks: unknown, parent: TaskRunRow | undefined, concurrency = 1, value?: string): ListStatus {
    const refs: unknown[] = Array.isArray(tasks) ? tasks : [];
    return this.walk(
      refs.map((ref) => ({ ref, value })),
      parent,
      concurrency,
    );
  }

  /**
   * Creates and advances the task runs of `entries` under `parent`, in order. `concurrency` 1 runs them
   * one after another and stops at the first failure; 0 runs all at once; N at most N at once. After a
   * failure nothing new starts, and the list ends once what runs has ended. Like Kestra, the runs one
   * pass may start are started together: one that fails at once does not hold back its siblings.
   */
  walk(entries: readonly ListEntry[], parent: TaskRunRow | undefined, concurrency: number): ListStatus {
    const states: State[] = [];
    let active = 0;
    let failed = false;
    for (const { ref, value } of entries) {
      const { task, info } = taskOf(this.plan, ref);
      if (task.disabled) continue;
      let run = this.visit(task, info, parent, value);
      const fresh = !run;
      if (!run) {
        // entries start in order: none after this one has started either
        if (failed || (concurrency > 0 && active >= concurrency)) break;
        run = this.start(task, info, parent, value);
      }
      if (!isTerminal(run.state)) {
        active++;
        if (concurrency === 1) return { done: false };
        continue;
      }
      if (isFailure(run.state)) {
        if (concurrency === 1) return { done: true, state: run.state };
        failed ||= !fresh;
      }
      states.push(run.state);
    }
    return active ? { done: false } : { done: true, state: worstState(states) };
  }

  /** The task run of `task` under `parent` with `value`, advanced if it is a running flowable. */
  visit(task: TaskDef, info: TaskTypeInfo, parent: TaskRunRow | undefined, value?: string) {
    const run = this.state.find(parent?.id, task.id, value);
    if (run?.state === State.RETRYING && awaitingRetry(run)) this.retrying++;
    if (run && !isTerminal(run.state) && info.kind === TaskKind.FLOWABLE) this.advance(run, task, info);
    return run;
  }

  /** Creates the task run of `task` (SKIPPED when its runIf is false) and starts it. */
  start(task: TaskDef, info: TaskTypeInfo, parent: TaskRunRow | undefined, value?: string): TaskRunRow {
    const { state, plan } = this;
    const run = state.createRun(task.id, parent?.id, value, State.CREATED);
    if (task.runIf !== undefined) {
      const context = taskRunContext(plan, state, task, run);
      const condition = renderCondition(task.runIf, context, `task '${task.id}' runIf`);
      if (condition.error !== undefined) return state.fail(run, condition.error);
      if (!condition.value) {
        state.setRunState(run, State.SKIPPED);
        return run;
      }
    }
    if (info.status !== TypeStatus.READY) {
      return state.fail(run, `task type '${info.type}' of task '${task.id}' is not supported by Roost yet`);
    }
    if (info.kind !== TaskKind.FLOWABLE) {
      queueAttempt(plan, state, run, task, 1);
      return run;
    }
    state.setRunState(run, State.RUNNING);
    if (
      task.timeout !== undefined &&
      !armTimeout(state, run, task, 0, taskRunContext(plan, state, task, run))
    ) {
      return run;
    }
    this.advance(run, task, info);
    return run;
  }

  /** Advances a running flowable task and settles it once its children are done. */
  private advance(run: TaskRunRow, task: TaskDef, info: TaskTypeInfo): void {
    const handler = FLOWABLES[info.type];
    const status = handler
      ? handler(this, run, task)
      : this.failWith(
          run,
          `flowable task type '${info.type}' of task '${task.id}' is not supported by Roost yet`,
        );
    if (isTerminal(run.state)) return;
    if (!status.done) {
      if (run.state === State.PAUSED) this.paused++;
      return;
    }
    this.state.setRunState(
      run,
      allowed(task, status.state),
      status.outputs ? { outputs: status.outputs } : {},
    );
  }

  /** Logs why a flowable task failed; the caller ends it FAILED (or WARNING, with allowFailure). */
  failWith(run: TaskRunRow, message: string): ListStatus {
    this.state.log(run, 'ERROR', message);
    return { done: true, state: State.FAILED };
  }

  /**
   * A property of a flowable task rendered once, on its first pass, and kept in the task run's meta so
   * every later pass sees the same value, or why it cannot be rendered.
   */
  remember<T>(
    run: TaskRunRow,
    task: TaskDef,
    key: string,
    produce: (context: Record<string, unknown>) => Rendered<T>,
  ): { value: T } | { error: string } {
    const meta = run.meta ?? {};
    if (Object.hasOwn(meta, key)) return { value: meta[key] as T };
    const rendered = produce(taskRunContext(this.plan, this.state, task, run));
    if (rendered.error !== undefined) return { error: rendered.error };
    this.state.patchMeta(run, { [key]: rendered.value });
    return { value: rendered.value };
  }
}
