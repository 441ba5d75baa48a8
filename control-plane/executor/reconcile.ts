// The executor's decision logic, pure: given an execution's task runs and its flow, create what should
// run next and settle what has finished. Every pass is idempotent; it only reads and changes the state.
import { type TaskDef, TaskKind, type TaskTypeInfo, TypeStatus } from '../../protocol/flow/index.ts';
import { isFailure, isTerminal, newId, State, worstState } from '../../protocol/index.ts';
import type { TaskRunRow } from '../repository/index.ts';
import { taskRunContext } from './context.ts';
import { FLOWABLES, type ListStatus } from './flowables.ts';
import type { FlowPlan } from './plan.ts';
import { taskOf } from './plan.ts';
import { renderCondition, renderFlowOutputs, renderWorkerGroup } from './rendering.ts';
import type { ExecutionState } from './state.ts';

export class Reconciler {
  constructor(
    readonly plan: FlowPlan,
    readonly state: ExecutionState,
  ) {}

  /** Advances the whole execution as far as it can go now. */
  run(): void {
    const { state, plan } = this;
    if (isTerminal(state.execution.state)) return;
    if (state.execution.state === State.CREATED) state.setExecutionState(State.RUNNING);
    const status = this.withHandlers(plan.flow.tasks, plan.flow.errors, plan.flow.finally, undefined);
    if (!status.done) return;
    const rendered = renderFlowOutputs(plan, state);
    if (rendered.error) {
      state.log(undefined, 'ERROR', rendered.error);
      state.setExecutionState(State.FAILED, { outputs: null, error: { message: rendered.error } });
      return;
    }
    state.setExecutionState(status.state, rendered.outputs ? { outputs: rendered.outputs } : {});
  }

  /**
   * Runs `tasks`, then `errors` if they failed, then `finally`; the state is the worst of the main
   * tasks and `finally`. An errors branch runs but never turns a failure into success.
   */
  withHandlers(tasks: unknown, errors: unknown, final: unknown, parent: TaskRunRow | undefined): ListStatus {
    const main = this.list(tasks, parent);
    if (!main.done) return main;
    let state = main.state;
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
    return { done: true, state };
  }

  /**
   * Walks a list of tasks under `parent`, creating and advancing task runs. `concurrency` 1 runs them
   * in order and stops at the first failure; 0 runs all at once; N at most N at once.
   */
  list(tasks: unknown, parent: TaskRunRow | undefined, concurrency = 1, value?: string): ListStatus {
    const states: State[] = [];
    let active = 0;
    for (const ref of Array.isArray(tasks) ? tasks : []) {
      const { task, info } = taskOf(this.plan, ref);
      if (task.disabled) continue;
      let run = this.state.find(parent?.id, task.id, value);
      if (!run) {
        if (concurrency > 0 && active >= concurrency) return { done: false };
        run = this.start(task, info, parent, value);
      } else if (!isTerminal(run.state) && info.kind === TaskKind.FLOWABLE) {
        this.advance(run, task, info);
      }
      if (!isTerminal(run.state)) {
        active++;
        if (concurrency === 1) return { done: false };
        continue;
      }
      if (concurrency === 1 && isFailure(run.state)) return { done: true, state: run.state };
      states.push(run.state);
    }
    return active ? { done: false } : { done: true, state: worstState(states) };
  }

  /** Creates the task run of `task` and, for a runnable task, its job. */
  private start(
    task: TaskDef,
    info: TaskTypeInfo,
    parent: TaskRunRow | undefined,
    value?: string,
  ): TaskRunRow {
    const { state, plan } = this;
    if (task.runIf !== undefined) {
      const probe = state.createRun(task.id, parent?.id, value, State.CREATED);
      const condition = renderCondition(
        task.runIf,
        taskRunContext(plan, state, task, probe),
        `task '${task.id}' runIf`,
      );
      if (condition.error) return this.fail(probe, condition.error);
      if (!condition.value) {
        state.setRunState(probe, State.SKIPPED);
        return probe;
      }
      return this.launch(probe, task, info);
    }
    return this.launch(state.createRun(task.id, parent?.id, value, State.CREATED), task, info);
  }

  private launch(run: TaskRunRow, task: TaskDef, info: TaskTypeInfo): TaskRunRow {
    if (info.status !== TypeStatus.READY) {
      return this.fail(run, `task type '${info.type}' of task '${task.id}' is not supported by Roost yet`);
    }
    if (info.kind === TaskKind.FLOWABLE) {
      this.state.setRunState(run, State.RUNNING);
      this.advance(run, task, info);
      return run;
    }
    const context = taskRunContext(this.plan, this.state, task, run);
    const group = renderWorkerGroup(task.workerGroup ?? this.plan.flow.workerGroup, context, task.id);
    if (group.error) return this.fail(run, group.error);
    this.state.jobs.push({
      id: newId(),
      executionId: this.state.execution.id,
      taskRunId: run.id,
      attempt: 1,
      state: 'queued',
      workerGroup: group.key ?? null,
      fallback: group.fallback,
      waitUntil: group.maxWaitMs === undefined ? null : new Date(this.state.now.getTime() + group.maxWaitMs),
      slots: 1,
      offline: false,
      payload: { task: task as Record<string, unknown>, context },
    });
    return run;
  }

  /** Advances a running flowable task and settles it once its children are done. */
  private advance(run: TaskRunRow, task: TaskDef, info: TaskTypeInfo): void {
    const handler = FLOWABLES[info.type];
    if (!handler) {
      this.fail(run, `flowable task type '${info.type}' of task '${task.id}' is not supported by Roost yet`);
      return;
    }
    const status = handler(this, run, task);
    if (!status.done) return;
    this.state.setRunState(run, allowed(task, status.state));
  }

  private fail(run: TaskRunRow, message: string): TaskRunRow {
    this.state.log(run, 'ERROR', message);
    this.state.setRunState(run, State.FAILED);
    return run;
  }
}

/** A task's own `allowFailure` turns its failure into WARNING, and `allowWarning` its warning into SUCCESS. */
export function allowed(task: TaskDef, state: State): State {
  let result = state;
  if (result === State.FAILED && task.allowFailure) result = State.WARNING;
  if (result === State.WARNING && task.allowWarning) result = State.SUCCESS;
  return result;
}
