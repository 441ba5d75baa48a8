// Retries: a new attempt of the same task run after a durable delay (constant, exponential, random),
// bounded by maxAttempts and maxDuration; policies set on a flowable parent or on the flow apply to
// failing runnable children.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Flow } from '../../protocol/flow/index.ts';
import { failing, type Simulation, simulate, yaml } from './simulate.ts';

const FAIL = 'io.kestra.plugin.core.execution.Fail';
const LOG = 'io.kestra.plugin.core.log.Log';

const retrying = (retry: string, extra = '') => yaml`
  tasks:
    - id: t
      type: ${FAIL}
      retry: ${retry}
    ${extra}
`;

/** Milliseconds between the end of each attempt and the start of the next. */
function waits(r: Simulation, taskId = 't'): number[] {
  const attempts = r.run(taskId).attempts;
  return attempts.slice(1).map((a, i) => Date.parse(a.startDate) - Date.parse(attempts[i]!.endDate!));
}

describe('retries', () => {
  it('adds attempts to the same task run after a constant delay, up to maxAttempt, then FAILED', async () => {
    const r = await simulate(retrying('{ type: constant, interval: PT1S, maxAttempt: 3 }'), {
      outcome: failing('t'),
    });
    expect(r.count).toBe(1);
    expect(r.run('t').attempts.map((a) => a.state)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(r.jobs.map((job) => job.attempt)).toEqual([1, 2, 3]);
    expect(waits(r)).toEqual([1000, 1000]);
    expect(r.execution.state).toBe('FAILED');
  });

  it('reads maxAttempts, the current name of maxAttempt', async () => {
    const source = parseYaml(`id: f\nnamespace: t\ntasks:\n  - id: t\n    type: ${FAIL}\n    retry:
      type: constant\n      interval: PT1S\n      maxAttempts: 2\n`) as Flow;
    const r = await simulate(source, { outcome: failing('t') });
    expect(r.run('t').attempts).toHaveLength(2);
  });

  it('makes its delays durable: each is a timer the executor receives as a retry event', async () => {
    const r = await simulate(retrying('{ type: constant, interval: PT1M, maxAttempt: 2 }'), {
      outcome: failing('t'),
    });
    expect(r.timers.map((t) => t.event)).toEqual([{ type: 'retry', taskRunId: r.run('t').id, attempt: 2 }]);
    expect(r.historyOf('t')).toEqual(['CREATED', 'RUNNING', 'RETRYING', 'RUNNING', 'FAILED']);
  });

  it('doubles an exponential delay each time, up to maxInterval', async () => {
    const r = await simulate(
      retrying('{ type: exponential, interval: PT1S, maxInterval: PT5S, maxAttempt: 5 }'),
      { outcome: failing('t') },
    );
    expect(waits(r)).toEqual([1000, 2000, 4000, 5000]);
  });

  it('waits a random delay between minInterval and maxInterval', async () => {
    const r = await simulate(
      retrying('{ type: random, minInterval: PT0.2S, maxInterval: PT0.5S, maxAttempt: 4 }'),
      { outcome: failing('t') },
    );
    expect(waits(r)).toHaveLength(3);
    for (const wait of waits(r)) {
      expect(wait).toBeGreaterThanOrEqual(200);
      expect(wait).toBeLessThan(500);
    }
  });

  it('stops retrying when the next attempt would start after maxDuration', async () => {
    const r = await simulate(retrying('{ type: constant, interval: PT2S, maxDuration: PT6S }'), {
      outcome: failing('t'),
      taskMs: 100,
    });
    // attempts start at 0, 2.1 s and 4.2 s; a fourth would start at 6.3 s
    expect(r.run('t').attempts).toHaveLength(3);
    expect(r.execution.state).toBe('FAILED');
  });

  it('gives WARNING with warningOnRetry when the task succeeds only after a retry, SUCCESS at once', async () => {
    const source = yaml`
      tasks:
        - id: t
          type: ${LOG}
          message: x
          retry: { type: constant, interval: PT0.25S, maxAttempt: 4, warningOnRetry: true }
    `;
    const late = await simulate(source, {
      outcome: (job) => ({ state: job.attempt === 4 ? 'SUCCESS' : 'FAILED' }),
    });
    expect(late.run('t').attempts).toHaveLength(4);
    expect(late.execution.state).toBe('WARNING');
    const first = await simulate(source);
    expect(first.run('t').attempts).toHaveLength(1);
    expect(first.execution.state).toBe('SUCCESS');
  });

  it('tells the task how many attempts came before through taskrun.attemptsCount', async () => {
    const r = await simulate(retrying('{ type: constant, interval: PT1S, maxAttempt: 3 }'), {
      outcome: failing('t'),
    });
    expect(r.jobs.map((job) => (job.context.taskrun as { attemptsCount: number }).attemptsCount)).toEqual([
      0, 1, 2,
    ]);
  });

  it('runs the errors branch once retries are used up, and not the next task', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: t, type: ${FAIL}, retry: { type: constant, interval: PT1S, maxAttempt: 3 } }
          - { id: never, type: ${LOG}, message: x }
        errors:
          - { id: onError, type: ${LOG}, message: e }
      `,
      { outcome: failing('t') },
    );
    expect(r.order).toEqual(['t', 't', 't', 'onError']);
    expect(r.count).toBe(2);
  });

  it('applies a retry set on a flowable parent to its failing runnable child', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: seq
            type: io.kestra.plugin.core.flow.Sequential
            retry: { type: constant, interval: PT1S, maxAttempt: 3 }
            tasks:
              - id: inner
                type: io.kestra.plugin.core.flow.Sequential
                tasks:
                  - { id: child, type: ${FAIL} }
      `,
      { outcome: failing('child') },
    );
    expect(r.run('child').attempts).toHaveLength(3);
    expect(r.run('seq').attempts).toHaveLength(0);
    expect(r.count).toBe(3);
  });

  it('applies the flow retry to a failing task that has none', async () => {
    const r = await simulate(
      yaml`
        retry: { type: constant, interval: PT1S, maxAttempt: 4, behavior: RETRY_FAILED_TASK }
        tasks:
          - { id: t, type: ${FAIL} }
      `,
      { outcome: failing('t') },
    );
    expect(r.run('t').attempts).toHaveLength(4);
  });

  it('retries then applies allowFailure: WARNING, and the flow goes on', async () => {
    const r = await simulate(
      retrying('{ type: constant, interval: PT0.1S, maxAttempt: 3 }\n      allowFailure: true', LOG_NEXT),
      { outcome: failing('t') },
    );
    expect(r.run('t').attempts).toHaveLength(3);
    expect(r.states).toEqual({ t: 'WARNING', next: 'SUCCESS' });
  });

  it('does not retry in place a policy that asks for a new execution: the execution is retried instead', async () => {
    const r = await simulate(
      retrying('{ type: constant, interval: PT1S, maxAttempt: 3, behavior: CREATE_NEW_EXECUTION }'),
      { outcome: failing('t') },
    );
    expect(r.run('t').attempts).toHaveLength(1);
    expect(r.run('t').state).toBe('RETRIED');
    expect(r.execution.state).toBe('RETRIED');
    expect(r.created).toHaveLength(1);
  });
});

const LOG_NEXT = `- { id: next, type: ${LOG}, message: x }`;

describe('the execution while a task waits for its retry', () => {
  const statesOf = (histories: { state: string }[]) => histories.map((h) => h.state);

  it('is RETRYING until the next attempt starts, then RUNNING again (a flow-level RETRY_FAILED_TASK)', async () => {
    let failures = 0;
    const r = await simulate(
      yaml`
        retry: { type: constant, interval: PT10S, maxAttempts: 3, behavior: RETRY_FAILED_TASK }
        tasks:
          - { id: flaky, type: ${LOG}, message: x }
          - { id: after, type: ${LOG}, message: y }
      `,
      { outcome: (job) => ({ state: job.taskId === 'flaky' && failures++ < 2 ? 'FAILED' : 'SUCCESS' }) },
    );
    expect(r.execution.state).toBe('SUCCESS');
    expect(statesOf(r.execution.histories)).toEqual([
      'CREATED',
      'RUNNING',
      'RETRYING',
      'RUNNING',
      'RETRYING',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(statesOf(r.run('flaky').histories)).toContain('RETRYING');
  });

  it('is RETRYING for a task-level retry too, as Kestra marks it, and ends FAILED when attempts run out', async () => {
    const r = await simulate(retrying('{ type: constant, interval: PT1S, maxAttempts: 2 }'), {
      outcome: failing('t'),
    });
    expect(r.execution.state).toBe('FAILED');
    expect(statesOf(r.execution.histories)).toEqual(['CREATED', 'RUNNING', 'RETRYING', 'RUNNING', 'FAILED']);
  });
});
