// Restart of an ended execution: its failed task runs run again in the same execution, as new attempts.
import { describe, expect, it } from 'vitest';
import type { SimJob, SimOutcome } from './simulate.ts';
import { simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FLOW = 'io.kestra.plugin.core.flow';

/** Fails the listed tasks until `healed` is set (the user fixed what broke). */
function breakable(...ids: string[]) {
  const control = {
    healed: false,
    outcome: (job: SimJob): SimOutcome => ({
      state: ids.includes(job.taskId) && !control.healed ? 'FAILED' : 'SUCCESS',
    }),
  };
  return control;
}

describe('restart', () => {
  it('re-runs the failed task as a new attempt of the same task run, then the tasks after it', async () => {
    const control = breakable('b');
    const r = await simulate(
      yaml`
        tasks:
          - { id: a, type: ${LOG}, message: x }
          - { id: b, type: ${LOG}, message: x }
          - { id: c, type: ${LOG}, message: x }
      `,
      { outcome: control.outcome },
    );
    expect(r.execution.state).toBe('FAILED');
    const failedRun = r.run('b');
    control.healed = true;
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'FAILED', 'RESTARTED', 'RUNNING', 'SUCCESS']);
    expect(r.run('b').id).toBe(failedRun.id);
    expect(r.run('b').attempts.map((a) => a.state)).toEqual(['FAILED', 'SUCCESS']);
    expect(r.historyOf('b')).toEqual(['CREATED', 'RUNNING', 'FAILED', 'RESTARTED', 'RUNNING', 'SUCCESS']);
    expect(r.order).toEqual(['a', 'b', 'b', 'c']);
    expect(r.jobs.map((j) => j.attempt)).toEqual([1, 1, 2, 1]);
    expect(r.execution.labels['system.restarted']).toBe('true');
    expect(r.execution.endDate).not.toBeNull();
  });

  it('puts the flowable parents of the failed task back to RUNNING and leaves their finished children', async () => {
    const control = breakable('p2');
    const r = await simulate(
      yaml`
        tasks:
          - id: seq
            type: ${FLOW}.Sequential
            tasks:
              - id: par
                type: ${FLOW}.Parallel
                tasks:
                  - { id: p1, type: ${LOG}, message: x }
                  - { id: p2, type: ${LOG}, message: x }
      `,
      { outcome: control.outcome },
    );
    expect(r.states).toEqual({ seq: 'FAILED', par: 'FAILED', p1: 'SUCCESS', p2: 'FAILED' });
    control.healed = true;
    await r.send({ type: 'restart' });
    expect(r.states).toEqual({ seq: 'SUCCESS', par: 'SUCCESS', p1: 'SUCCESS', p2: 'SUCCESS' });
    expect(r.historyOf('par')).toEqual(['CREATED', 'RUNNING', 'FAILED', 'RUNNING', 'SUCCESS']);
    expect(r.run('p1').attempts).toHaveLength(1);
    expect(r.count).toBe(4);
  });

  it('re-runs every failed iteration of a loop, and only those', async () => {
    let healed = false;
    const r = await simulate(
      yaml`
        tasks:
          - id: each
            type: ${FLOW}.ForEach
            values: [1, 2, 3]
            concurrencyLimit: 0
            tasks:
              - { id: t, type: ${LOG}, message: x }
      `,
      { outcome: (job) => ({ state: job.value === '2' && !healed ? 'FAILED' : 'SUCCESS' }) },
    );
    expect(r.execution.state).toBe('FAILED');
    healed = true;
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.runsOf('t').map((run) => [run.value, run.attempts.length])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 1],
    ]);
  });

  it('leaves a failure that a parent absorbed (AllowFailure) as it is', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: tolerant
            type: ${FLOW}.AllowFailure
            tasks:
              - { id: flaky, type: ${LOG}, message: x }
          - { id: broken, type: ${LOG}, message: x }
      `,
      { outcome: (job) => ({ state: job.attempt === 1 ? 'FAILED' : 'SUCCESS' }) },
    );
    expect(r.states).toEqual({ tolerant: 'WARNING', flaky: 'FAILED', broken: 'FAILED' });
    await r.send({ type: 'restart' });
    expect(r.states).toEqual({ tolerant: 'WARNING', flaky: 'FAILED', broken: 'SUCCESS' });
    expect(r.execution.state).toBe('WARNING');
  });

  it('restarts a killed execution: killed task runs run again and the tasks never started are created', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: slow, type: ${LOG}, message: x }
          - { id: after, type: ${LOG}, message: x }
      `,
      { outcome: (job) => (job.taskId === 'slow' && job.attempt === 1 ? 'hang' : { state: 'SUCCESS' }) },
    );
    await r.send({ type: 'kill' });
    expect(r.execution.state).toBe('KILLED');
    expect(r.runsOf('after')).toEqual([]);
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.run('slow').attempts.map((a) => a.state)).toEqual(['KILLED', 'SUCCESS']);
    expect(r.run('after').state).toBe('SUCCESS');
  });

  it('changes nothing when the execution did not fail or was not killed', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: a, type: ${LOG}, message: x }
    `);
    const before = structuredClone(r.execution);
    await r.send({ type: 'restart' });
    expect(r.execution).toEqual(before);
    expect(r.order).toEqual(['a']);
  });

  it('changes nothing in an execution that is still running', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: a, type: ${LOG}, message: x }
      `,
      { outcome: () => 'hang' },
    );
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('RUNNING');
    expect(r.jobs).toHaveLength(1);
  });
});
