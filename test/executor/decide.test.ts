// The executor's decision function, without I/O: which task runs and jobs a decision creates.
import { describe, expect, it } from 'vitest';
import { decide, type ExecutorEvent, planFlow } from '../../control-plane/executor/index.ts';
import type { ExecutionRow, TaskRunRow } from '../../control-plane/repository/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { State } from '../../protocol/index.ts';

const NOW = new Date('2026-01-01T00:00:00.000Z');

/** Runs decisions the way the executor does, feeding each job back as a result from `outcome`. */
function simulate(
  yaml: string,
  outcome: (taskId: string) => { state: 'SUCCESS' | 'FAILED' | 'WARNING'; outputs?: Record<string, unknown> },
) {
  const flow = parseFlow(yaml);
  const plan = planFlow(flow, 1);
  let execution: ExecutionRow = {
    id: 'e1',
    namespace: flow.namespace,
    flowId: flow.id,
    flowRevision: 1,
    state: State.CREATED,
    histories: [{ state: State.CREATED, date: NOW.toISOString() }],
    inputs: {},
    outputs: null,
    labels: {},
    trigger: null,
    parentId: null,
    error: null,
    version: 1,
    startDate: NOW,
    endDate: null,
  };
  const runs = new Map<string, TaskRunRow>();
  const order: string[] = [];
  const pending: ExecutorEvent[] = [{ type: 'start' }];
  for (let step = 0; step < 100 && pending.length; step++) {
    const decision = decide(plan, execution, [...runs.values()], pending.shift()!, NOW);
    if (decision.execution) execution = { ...execution, ...decision.execution };
    for (const run of decision.insertTaskRuns) runs.set(run.id, { ...run });
    for (const { id, patch } of decision.updateTaskRuns) runs.set(id, { ...runs.get(id)!, ...patch });
    for (const job of decision.jobs) {
      const taskId = String((job.payload.task as { id: string }).id);
      order.push(taskId);
      const result = outcome(taskId);
      pending.push({
        type: 'result',
        taskRunId: job.taskRunId,
        attempt: 1,
        agentId: 'a',
        state: result.state,
        outputs: result.outputs ?? {},
      });
    }
  }
  const states = Object.fromEntries([...runs.values()].map((r) => [r.taskId, r.state]));
  return { execution, states, order, count: runs.size };
}

const log = (id: string, extra = '') =>
  `  - id: ${id}\n    type: io.kestra.plugin.core.log.Log\n    message: ${id}\n${extra}`;

describe('the executor decision', () => {
  it('runs tasks one after another and ends SUCCESS', () => {
    const r = simulate(`id: f\nnamespace: t\ntasks:\n${log('a')}${log('b')}${log('c')}`, () => ({
      state: 'SUCCESS',
    }));
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.execution.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
  });

  it('stops at the first failure and creates no task run for the rest', () => {
    const r = simulate(`id: f\nnamespace: t\ntasks:\n${log('a')}${log('b')}${log('c')}`, (id) => ({
      state: id === 'b' ? 'FAILED' : 'SUCCESS',
    }));
    expect(r.order).toEqual(['a', 'b']);
    expect(r.states).toEqual({ a: 'SUCCESS', b: 'FAILED' });
    expect(r.execution.state).toBe('FAILED');
  });

  it('runs the flow errors branch after a failure, and the execution stays FAILED', () => {
    const r = simulate(`id: f\nnamespace: t\ntasks:\n${log('a')}errors:\n${log('onError')}`, (id) => ({
      state: id === 'a' ? 'FAILED' : 'SUCCESS',
    }));
    expect(r.order).toEqual(['a', 'onError']);
    expect(r.execution.state).toBe('FAILED');
  });

  it('turns a failure into WARNING with allowFailure and goes on', () => {
    const r = simulate(
      `id: f\nnamespace: t\ntasks:\n${log('a', '    allowFailure: true\n')}${log('b')}`,
      (id) => ({ state: id === 'a' ? 'FAILED' : 'SUCCESS' }),
    );
    expect(r.states).toEqual({ a: 'WARNING', b: 'SUCCESS' });
    expect(r.execution.state).toBe('WARNING');
  });

  it('skips a task whose runIf is false, and the SKIPPED run counts', () => {
    const r = simulate(
      `id: f\nnamespace: t\ntasks:\n${log('a', '    runIf: "{{ 1 == 2 }}"\n')}${log('b')}`,
      () => ({ state: 'SUCCESS' }),
    );
    expect(r.order).toEqual(['b']);
    expect(r.states).toEqual({ a: 'SKIPPED', b: 'SUCCESS' });
    expect(r.count).toBe(2);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('never creates a disabled task', () => {
    const r = simulate(`id: f\nnamespace: t\ntasks:\n${log('a', '    disabled: true\n')}${log('b')}`, () => ({
      state: 'SUCCESS',
    }));
    expect(r.states).toEqual({ b: 'SUCCESS' });
  });

  it('counts a Sequential as its own task run and settles it from its children', () => {
    const yaml = `id: f\nnamespace: t\ntasks:\n  - id: seq\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n  ${log('a').replaceAll('\n  ', '\n    ')}  ${log('b').replaceAll('\n  ', '\n    ')}${log('c')}`;
    const r = simulate(yaml, () => ({ state: 'SUCCESS' }));
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.states).toEqual({ seq: 'SUCCESS', a: 'SUCCESS', b: 'SUCCESS', c: 'SUCCESS' });
  });

  it('renders flow outputs from task outputs, and fails the execution with no outputs when they cannot render', () => {
    const ok = simulate(
      `id: f\nnamespace: t\ntasks:\n  - id: r\n    type: io.kestra.plugin.core.debug.Return\n    format: x\noutputs:\n  - id: o\n    type: STRING\n    value: "{{ outputs.r.value }}!"\n`,
      () => ({ state: 'SUCCESS', outputs: { value: 'hey' } }),
    );
    expect(ok.execution.outputs).toEqual({ o: 'hey!' });
    const bad = simulate(
      `id: f\nnamespace: t\ntasks:\n  - id: r\n    type: io.kestra.plugin.core.debug.Return\n    format: x\noutputs:\n  - id: o\n    type: STRING\n    value: "{{ outputs.missing.value }}"\n`,
      () => ({ state: 'SUCCESS', outputs: { value: 'hey' } }),
    );
    expect(bad.execution.state).toBe('FAILED');
    expect(bad.execution.outputs).toBeNull();
  });

  it('ignores a second result for a task run that already ended', () => {
    const flow = parseFlow(`id: f\nnamespace: t\ntasks:\n${log('a')}`);
    const plan = planFlow(flow, 1);
    const run = {
      id: 'r1',
      executionId: 'e1',
      parentTaskRunId: null,
      taskId: 'a',
      value: null,
      state: State.SUCCESS,
      histories: [],
      attempts: [],
      outputs: {},
      meta: null,
      startDate: NOW,
      endDate: NOW,
    };
    const execution = {
      id: 'e1',
      namespace: 't',
      flowId: 'f',
      flowRevision: 1,
      state: State.RUNNING,
      histories: [],
      inputs: {},
      outputs: null,
      labels: {},
      trigger: null,
      parentId: null,
      error: null,
      version: 1,
      startDate: NOW,
      endDate: null,
    };
    const decision = decide(
      plan,
      execution,
      [run],
      { type: 'result', taskRunId: 'r1', attempt: 1, state: 'FAILED', outputs: {} },
      NOW,
    );
    expect(decision.updateTaskRuns).toEqual([]);
    expect(decision.execution?.state).toBe('SUCCESS');
  });
});
