// Retry with behavior CREATE_NEW_EXECUTION: each attempt is a new execution; the failed ones end RETRIED.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExecutionRow } from '../../control-plane/repository/index.ts';
import { runOnAgent } from './corpus-agent.ts';
import { type SimOptions, Simulation, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FAIL = 'io.kestra.plugin.core.execution.Fail';

/** Runs the flow, then each execution its decisions created at its start time, until none is created. */
async function chain(
  source: string,
  options: SimOptions = { outcome: runOnAgent },
  most = 10,
): Promise<Simulation[]> {
  const runs = [await simulate(source, options)];
  for (let last = runs[0]!; last.created.length && runs.length < most; ) {
    const [{ execution, startAt }] = last.created as [(typeof last.created)[number]];
    const next = new Simulation(source, options);
    next.execution = { outputs: null, error: null, version: 1, endDate: null, ...execution } as ExecutionRow;
    next.now = startAt ?? last.now;
    runs.push(await next.send({ type: 'start' }));
    last = next;
  }
  return runs;
}

const VALIDS = new URL('../../../shared/kestra-flows/valids/', import.meta.url);

describe('retry as a new execution', () => {
  it.each([
    'retry-new-execution-flow-attempts.yml',
    'retry-new-execution-flow-duration.yml',
    'retry-new-execution-task-attempts.yml',
    'retry-new-execution-task-duration.yml',
  ])('%s ends RETRIED, RETRIED, FAILED as in Kestra', async (file) => {
    const runs = await chain(readFileSync(new URL(file, VALIDS), 'utf8'));
    expect(runs.map((r) => r.execution.state)).toEqual(['RETRIED', 'RETRIED', 'FAILED']);
    expect(runs.map((r) => r.count)).toEqual([1, 1, 1]);
  });

  it('links the attempts, counts them, keeps inputs and labels, and starts each after the delay', async () => {
    const runs = await chain(
      yaml`
        labels: { team: ops }
        inputs:
          - { id: n, type: INT, defaults: 7 }
        retry: { behavior: CREATE_NEW_EXECUTION, type: constant, interval: PT30S, maxAttempts: 2 }
        tasks:
          - { id: fail, type: ${FAIL} }
      `,
    );
    const [first, second] = runs as [Simulation, Simulation];
    expect(runs).toHaveLength(2);
    expect(first.executionHistory).toEqual(['CREATED', 'RUNNING', 'RETRYING', 'RETRIED']);
    expect(first.run('fail').state).toBe('RETRIED');
    expect(first.created[0]?.startAt?.getTime()).toBe(first.now.getTime() + 30_000);
    expect(second.execution).toMatchObject({
      originalId: first.execution.id,
      attemptNumber: 2,
      originalStartDate: first.execution.startDate,
      inputs: { n: 7 },
      labels: { team: 'ops' },
    });
    expect(second.execution.id).not.toBe(first.execution.id);
    expect(second.execution.state).toBe('FAILED');
    expect(second.created).toEqual([]);
  });

  it('stops what still runs in the retried execution', async () => {
    const [first] = await chain(
      yaml`
        tasks:
          - id: par
            type: io.kestra.plugin.core.flow.Parallel
            tasks:
              - { id: slow, type: ${LOG}, message: x }
              - id: broken
                type: ${LOG}
                message: x
                retry: { behavior: CREATE_NEW_EXECUTION, type: constant, interval: PT1S, maxAttempt: 2 }
      `,
      { outcome: (job) => (job.taskId === 'slow' ? 'hang' : { state: 'FAILED' }) },
    );
    expect(first!.execution.state).toBe('RETRIED');
    expect(first!.states).toMatchObject({ slow: 'KILLED', broken: 'RETRIED' });
    expect(first!.kills.map((k) => k.taskRunId)).toEqual([first!.run('slow').id]);
  });

  it('succeeds in a later execution when the failure was passing', async () => {
    let failures = 1;
    const runs = await chain(
      yaml`
        retry: { behavior: CREATE_NEW_EXECUTION, type: constant, interval: PT1S, maxAttempt: 3 }
        tasks:
          - { id: flaky, type: ${LOG}, message: x }
      `,
      { outcome: () => ({ state: failures-- > 0 ? 'FAILED' : 'SUCCESS' }) },
    );
    expect(runs.map((r) => r.execution.state)).toEqual(['RETRIED', 'SUCCESS']);
  });
});
