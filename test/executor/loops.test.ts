// Loops: ForEach and the older EachSequential/EachParallel. One task run per child per value, no wrapper
// per iteration, `taskrun.value`, outputs indexed by value, `parent`/`parents`.
import { describe, expect, it, vi } from 'vitest';
import { ExecutionState } from '../../control-plane/executor/index.ts';
import type { TaskRunRow } from '../../control-plane/repository/index.ts';
import { State } from '../../protocol/index.ts';
import { failing, type SimJob, Simulation, START, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const RETURN = 'io.kestra.plugin.core.debug.Return';
const FLOW = 'io.kestra.plugin.core.flow';

const forEach = (props: string) => yaml`
  tasks:
    - id: loop
      type: ${FLOW}.ForEach
      ${props}
      tasks:
        - { id: first, type: ${LOG}, message: x }
        - { id: second, type: ${LOG}, message: x }
    - { id: after, type: ${LOG}, message: x }
`;

/** The most iterations (loop values) that had a task running at the same moment. */
function maxIterations(r: Simulation): number {
  const byValue = new Map<string, { from: number; to: number }>();
  for (const run of [...r.runs.values()].filter((run) => run.value !== null)) {
    const span = byValue.get(run.value!) ?? { from: Infinity, to: -Infinity };
    span.from = Math.min(span.from, run.startDate.getTime());
    span.to = Math.max(span.to, run.endDate?.getTime() ?? Infinity);
    byValue.set(run.value!, span);
  }
  const spans = [...byValue.values()];
  return Math.max(...spans.map((s) => spans.filter((o) => o.from <= s.from && s.from < o.to).length));
}

/** Answers Return tasks with their value (the task id and loop value), others with nothing. */
const returning = (job: SimJob) => ({
  state: 'SUCCESS' as const,
  outputs: job.type.endsWith('Return') ? { value: `${job.taskId}@${job.value}` } : {},
});

describe('ForEach', () => {
  it('makes one task run per child per value and none per iteration: 3 values, 2 children, 7 runs', async () => {
    const r = await simulate(forEach('values: ["a", "b", "c"]'));
    expect(r.runsOf('first').map((run) => run.value)).toEqual(['a', 'b', 'c']);
    expect(r.count).toBe(8);
    expect(r.order).toEqual(['first', 'second', 'first', 'second', 'first', 'second', 'after']);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('runs one iteration at a time by default, at most concurrencyLimit, and all with 0', async () => {
    const values = 'values: ["a", "b", "c", "d"]';
    expect(maxIterations(await simulate(forEach(values)))).toBe(1);
    expect(maxIterations(await simulate(forEach(`${values}\n      concurrencyLimit: 2`)))).toBe(2);
    expect(maxIterations(await simulate(forEach(`${values}\n      concurrencyLimit: 0`)))).toBe(4);
  });

  it('reads values from a JSON string, an expression, or a list of any JSON values', async () => {
    const fromJson = await simulate(forEach(`values: '["x", 1, {"k": "v"}]'`));
    expect(fromJson.runsOf('first').map((run) => run.value)).toEqual(['x', '1', '{"k":"v"}']);
    const fromList = await simulate(forEach('values: [1, true, {k: v}]'));
    expect(fromList.runsOf('first').map((run) => run.value)).toEqual(['1', 'true', '{"k":"v"}']);
    const fromExpression = await simulate(
      yaml`
        inputs:
          - { id: list, type: JSON }
        tasks:
          - id: loop
            type: ${FLOW}.ForEach
            values: "{{ inputs.list }}"
            tasks:
              - { id: first, type: ${LOG}, message: x }
      `,
      { inputs: { list: '["p", "q"]' } },
    );
    expect(fromExpression.runsOf('first').map((run) => run.value)).toEqual(['p', 'q']);
  });

  it('fails at once with its own task run only when the values hold a null', async () => {
    const r = await simulate(forEach(`values: '[1, null, 2]'`));
    expect(r.count).toBe(1);
    expect(r.execution.state).toBe('FAILED');
    expect(r.logs.at(-1)?.message).toContain("Found '1' null values on Each");
  });

  it('ends SUCCESS over an empty list, and the flow goes on', async () => {
    const r = await simulate(forEach(`values: '[]'`));
    expect(r.states).toEqual({ loop: 'SUCCESS', after: 'SUCCESS' });
  });

  it('starts no new iteration after one failed, and ends FAILED', async () => {
    const r = await simulate(forEach('values: [a, b, c]'), {
      outcome: (job) => ({ state: job.taskId === 'second' && job.value === 'b' ? 'FAILED' : 'SUCCESS' }),
    });
    expect(r.runsOf('first').map((run) => run.value)).toEqual(['a', 'b']);
    expect(r.states.loop).toBe('FAILED');
    expect(r.execution.state).toBe('FAILED');
  });

  it('gives children taskrun.value, and parent/parents the values of the enclosing task runs', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: outer
            type: ${FLOW}.ForEach
            values: [o1, o2]
            tasks:
              - id: seq
                type: ${FLOW}.Sequential
                tasks:
                  - id: inner
                    type: ${FLOW}.ForEach
                    values: [i1]
                    tasks:
                      - { id: leaf, type: ${LOG}, message: x }
      `,
    );
    const leaf = r.jobs.find((job) => job.taskId === 'leaf' && job.value === 'i1')!;
    expect((leaf.context.taskrun as { value: string }).value).toBe('i1');
    expect(leaf.context.parents).toEqual([{ taskrun: { value: 'o1' } }]);
    expect(leaf.context.parent).toEqual({ taskrun: { value: 'o1' } });
    expect(r.count).toBe(1 + 2 * 3);
  });

  it('indexes outputs by loop value, nested loops outermost first', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: outer
            type: ${FLOW}.ForEach
            values: [a, b]
            tasks:
              - { id: top, type: ${RETURN}, format: x }
              - id: inner
                type: ${FLOW}.ForEach
                values: ["1", "2"]
                tasks:
                  - { id: deep, type: ${RETURN}, format: x }
          - { id: end, type: ${RETURN}, format: x }
      `,
      { outcome: returning },
    );
    const context = r.jobs.find((job) => job.taskId === 'end')!.context;
    const outputs = context.outputs as Record<string, Record<string, Record<string, { value: string }>>>;
    expect(outputs.top!.b).toEqual({ value: 'top@b' });
    expect(outputs.deep!.a!['2']).toEqual({ value: 'deep@2' });
    expect(Object.keys(outputs.deep!)).toEqual(['a', 'b']);
  });

  it('runs its errors branch (once, with no value) when an iteration failed', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: loop
            type: ${FLOW}.ForEach
            values: [a, b]
            tasks:
              - { id: first, type: ${LOG}, message: x }
            errors:
              - { id: onError, type: ${LOG}, message: e }
      `,
      { outcome: failing('first') },
    );
    expect(r.run('onError').value).toBeNull();
    expect(r.count).toBe(3);
    expect(r.execution.state).toBe('FAILED');
  });
});

describe('EachSequential and EachParallel', () => {
  const each = (type: string, props = '') => yaml`
    tasks:
      - id: each
        type: ${FLOW}.${type}
        value: '["v1", "v2", "v3"]'
        ${props}
        tasks:
          - { id: first, type: ${LOG}, message: x }
          - { id: second, type: ${LOG}, message: x }
  `;

  it('counts like ForEach: one task run per child per value', async () => {
    for (const type of ['EachSequential', 'EachParallel']) {
      const r = await simulate(each(type));
      expect(r.count).toBe(7);
      expect(r.execution.state).toBe('SUCCESS');
    }
  });

  it('runs EachSequential one task at a time, and EachParallel every child of every value at once', async () => {
    const sequential = await simulate(each('EachSequential'));
    expect(sequential.order).toEqual(['first', 'second', 'first', 'second', 'first', 'second']);
    expect(maxIterations(sequential)).toBe(1);
    const parallel = await simulate(each('EachParallel'));
    expect(new Set(parallel.runsOf('second').map((run) => run.startDate.getTime())).size).toBe(1);
    const limited = await simulate(each('EachParallel', 'concurrent: 2'));
    expect(limited.count).toBe(7);
  });
});

describe('ForEach cost', () => {
  it.each([1, 0])(
    'looks only at the iterations that changed, not every value, on each decision (concurrencyLimit %i)',
    async (limit) => {
      const values = Array.from({ length: 1000 }, (_, i) => `v${i}`);
      const flow = yaml`
      tasks:
        - id: loop
          type: ${FLOW}.ForEach
          values: '${JSON.stringify(values)}'
          concurrencyLimit: ${limit}
          tasks:
            - { id: work, type: ${RETURN}, format: x }
    `;
      const find = vi.spyOn(ExecutionState.prototype, 'find');
      try {
        const r = await new Simulation(flow).send({ type: 'start' }, 5000);
        expect(r.execution.state).toBe('SUCCESS');
        expect(r.runs.size).toBe(1001);
        // a walk over every value on each of the 1,000 decisions would look up about 500,000 task runs
        expect(find.mock.calls.length).toBeLessThan(20 * values.length);
      } finally {
        find.mockRestore();
      }
    },
  );
});

describe('what a flowable remembers between decisions', () => {
  const run = (id: string, state: State): TaskRunRow => ({
    id,
    executionId: 'e1',
    parentTaskRunId: null,
    taskId: id,
    value: null,
    state,
    histories: [],
    attempts: [],
    outputs: null,
    meta: null,
    startDate: START,
    endDate: null,
    writtenXid: 0,
  });

  it('is forgotten once a finished task run opens again, by a decision or by a row read afresh', () => {
    const execution = new Simulation(yaml`
      tasks:
        - { id: a, type: ${RETURN}, format: x }
    `).execution;
    const state = new ExecutionState(execution, [run('a', State.FAILED), run('b', State.SUCCESS)], START);
    state.note('k', 1);
    expect(state.recall('k')).toBe(1);
    state.updateRun(state.get('a')!, { state: State.RUNNING });
    expect(state.recall('k')).toBeUndefined();
    state.note('k', 2);
    state.renew(execution, [run('b', State.CREATED)], START);
    expect(state.recall('k')).toBeUndefined();
    state.note('k', 3);
    state.renew(execution, [run('c', State.CREATED)], START);
    expect(state.recall('k')).toBeUndefined();
    state.note('k', 4);
    state.renew(execution, [run('c', State.SUCCESS)], START);
    expect(state.recall('k')).toBe(4);
  });
});
