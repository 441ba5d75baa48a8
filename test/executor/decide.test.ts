// The executor's decision function, without I/O: which task runs and jobs a decision creates, and the
// execution-wide rules (final state, errors, finally, runIf, disabled, flow outputs).
import { describe, expect, it } from 'vitest';
import { decide, planFlow } from '../../control-plane/executor/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { State } from '../../protocol/index.ts';
import { runOnAgent } from './corpus-agent.ts';
import { executionRow, failing, START, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const abc = yaml`
  tasks:
    - { id: a, type: ${LOG}, message: a }
    - { id: b, type: ${LOG}, message: b }
    - { id: c, type: ${LOG}, message: c }
`;

describe('the executor decision', () => {
  it('runs tasks one after another and ends SUCCESS', async () => {
    const r = await simulate(abc);
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
  });

  it('stops at the first failure and creates no task run for the rest', async () => {
    const r = await simulate(abc, { outcome: failing('b') });
    expect(r.order).toEqual(['a', 'b']);
    expect(r.states).toEqual({ a: 'SUCCESS', b: 'FAILED' });
    expect(r.execution.state).toBe('FAILED');
  });

  it('runs the flow errors branch after a failure, and the execution stays FAILED', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: a, type: ${LOG}, message: a }
        errors:
          - { id: onError, type: ${LOG}, message: e }
      `,
      { outcome: failing('a') },
    );
    expect(r.order).toEqual(['a', 'onError']);
    expect(r.execution.state).toBe('FAILED');
  });

  it('runs the flow errors after a flowable whose own errors ran, since its failure reaches the top', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: seq
            type: io.kestra.plugin.core.flow.Sequential
            tasks:
              - { id: a, type: ${LOG}, message: a }
            errors:
              - { id: local, type: ${LOG}, message: e }
        errors:
          - { id: global, type: ${LOG}, message: e }
      `,
      { outcome: failing('a') },
    );
    expect(r.order).toEqual(['a', 'local', 'global']);
    expect(r.states.seq).toBe('FAILED');
    expect(r.execution.state).toBe('FAILED');
  });

  it('runs finally after success and after failure, and takes the worst state of both', async () => {
    const source = yaml`
      tasks:
        - { id: a, type: ${LOG}, message: a }
      finally:
        - { id: last, type: ${LOG}, message: z }
    `;
    const ok = await simulate(source);
    expect(ok.order).toEqual(['a', 'last']);
    expect(ok.execution.state).toBe('SUCCESS');
    const warned = await simulate(source, {
      outcome: (job) => ({ state: job.taskId === 'last' ? 'WARNING' : 'SUCCESS' }),
    });
    expect(warned.execution.state).toBe('WARNING');
    const bad = await simulate(source, { outcome: failing('a') });
    expect(bad.order).toEqual(['a', 'last']);
    expect(bad.execution.state).toBe('FAILED');
  });

  it('takes the worst state of the tasks: WARNING over SUCCESS', async () => {
    const r = await simulate(abc, {
      outcome: (job) => ({ state: job.taskId === 'b' ? 'WARNING' : 'SUCCESS' }),
    });
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.execution.state).toBe('WARNING');
  });

  it('turns a failure into WARNING with allowFailure and goes on, and into SUCCESS with allowWarning too', async () => {
    const source = (extra: string) => yaml`
      tasks:
        - { id: a, type: ${LOG}, message: a, allowFailure: true${extra} }
        - { id: b, type: ${LOG}, message: b }
    `;
    const warned = await simulate(source(''), { outcome: failing('a') });
    expect(warned.states).toEqual({ a: 'WARNING', b: 'SUCCESS' });
    expect(warned.execution.state).toBe('WARNING');
    const allowed = await simulate(source(', allowWarning: true'), { outcome: failing('a') });
    expect(allowed.states).toEqual({ a: 'SUCCESS', b: 'SUCCESS' });
  });

  it('skips a task whose runIf is false, and the SKIPPED run counts', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: a, type: ${LOG}, message: a, runIf: "{{ 1 == 2 }}" }
        - { id: b, type: ${LOG}, message: b }
    `);
    expect(r.order).toEqual(['b']);
    expect(r.states).toEqual({ a: 'SKIPPED', b: 'SUCCESS' });
    expect(r.count).toBe(2);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('fails a task whose runIf cannot be rendered', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: a, type: ${LOG}, message: a, runIf: "{{ outputs.nothing == 2 }}" }
    `);
    expect(r.states).toEqual({ a: 'FAILED' });
    expect(r.logs.some((l) => l.level === 'ERROR' && l.message.includes('nothing'))).toBe(true);
  });

  it('ends SUCCESS when a Fail task has a false condition, and FAILED when it is true', async () => {
    const source = yaml`
      inputs:
        - { id: param, type: STRING }
      tasks:
        - { id: before, type: ${LOG}, message: x }
        - { id: fail, type: io.kestra.plugin.core.execution.Fail, condition: "{{ inputs.param == 'fail' }}" }
        - { id: after, type: ${LOG}, message: x }
    `;
    const passed = await simulate(source, { inputs: { param: 'ok' }, outcome: runOnAgent });
    expect(passed.states).toEqual({ before: 'SUCCESS', fail: 'SUCCESS', after: 'SUCCESS' });
    expect(passed.execution.state).toBe('SUCCESS');
    const failed = await simulate(source, { inputs: { param: 'fail' }, outcome: runOnAgent });
    expect(failed.count).toBe(2);
    expect(failed.execution.state).toBe('FAILED');
  });

  it('never creates a disabled task', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: a, type: ${LOG}, message: a, disabled: true }
        - { id: b, type: ${LOG}, message: b }
    `);
    expect(r.states).toEqual({ b: 'SUCCESS' });
  });

  it('counts a Sequential as its own task run and settles it from its children', async () => {
    const r = await simulate(yaml`
      tasks:
        - id: seq
          type: io.kestra.plugin.core.flow.Sequential
          tasks:
            - { id: a, type: ${LOG}, message: a }
            - { id: b, type: ${LOG}, message: b }
        - { id: c, type: ${LOG}, message: c }
    `);
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.states).toEqual({ seq: 'SUCCESS', a: 'SUCCESS', b: 'SUCCESS', c: 'SUCCESS' });
  });

  it('renders flow outputs from task outputs, and fails the execution with no outputs when they cannot render', async () => {
    const source = (value: string) => yaml`
      tasks:
        - { id: r, type: io.kestra.plugin.core.debug.Return, format: x }
      outputs:
        - { id: o, type: STRING, value: "${value}" }
    `;
    const outcome = () => ({ state: 'SUCCESS' as const, outputs: { value: 'hey' } });
    const ok = await simulate(source('{{ outputs.r.value }}!'), { outcome });
    expect(ok.execution.outputs).toEqual({ o: 'hey!' });
    const bad = await simulate(source('{{ outputs.missing.value }}'), { outcome });
    expect(bad.execution.state).toBe('FAILED');
    expect(bad.execution.outputs).toBeNull();
  });

  it('fails a task of a type Roost does not run yet, with the type named', async () => {
    const r = await simulate(
      parseFlow(
        yaml`
          tasks:
            - { id: s, type: io.kestra.plugin.core.log.Fetch }
        `,
        { allowPlanned: true },
      ),
    );
    expect(r.states).toEqual({ s: 'FAILED' });
    expect(r.logs[0]?.message).toContain("'io.kestra.plugin.core.log.Fetch' of task 's' is not supported");
  });

  it('ignores a second result for a task run that already ended', () => {
    const plan = planFlow(parseFlow(abc), 1);
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
      startDate: START,
      endDate: START,
      writtenXid: 0,
    };
    const execution = executionRow({ state: State.RUNNING });
    const event = { type: 'result', taskRunId: 'r1', attempt: 1, state: 'FAILED', outputs: {} } as const;
    const decision = decide(plan, execution, [run], event, START);
    expect(decision.updateTaskRuns).toEqual([]);
    expect(decision.insertTaskRuns.map((r) => r.taskId)).toEqual(['b']);
    const ended = decide(plan, { ...execution, state: State.SUCCESS }, [run], event, START);
    expect(ended).toMatchObject({
      execution: undefined,
      insertTaskRuns: [],
      jobs: [],
      timers: [],
      kills: [],
    });
  });
});
