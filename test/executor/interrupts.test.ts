// Work stopped before it ends: a task's timeout (a durable timer), and a user killing the execution.
import { describe, expect, it } from 'vitest';
import { failing, type SimJob, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FLOW = 'io.kestra.plugin.core.flow';
const hanging =
  (...ids: string[]) =>
  (job: SimJob) =>
    ids.includes(job.taskId) ? ('hang' as const) : { state: 'SUCCESS' as const };

describe('task timeout', () => {
  const source = yaml`
    tasks:
      - { id: slow, type: ${LOG}, message: x, timeout: PT5S }
      - { id: next, type: ${LOG}, message: x }
  `;

  it('fails a task still running when its timeout passes, kills its job, and says why', async () => {
    const r = await simulate(source, { outcome: hanging('slow') });
    const slow = r.run('slow');
    expect(slow.state).toBe('FAILED');
    expect(slow.endDate?.toISOString()).toBe('2026-01-01T00:00:05.000Z');
    expect(slow.attempts[0]?.error?.message).toBe("task 'slow' timed out after PT5S");
    expect(r.kills).toEqual([{ taskRunId: slow.id, reason: "task 'slow' timed out after PT5S" }]);
    expect(r.runsOf('next')).toEqual([]);
    expect(r.execution.state).toBe('FAILED');
  });

  it('fails a task that never reached an agent the same way', async () => {
    const r = await simulate(source, {
      outcome: (job) => (job.taskId === 'slow' ? 'unclaimed' : { state: 'SUCCESS' }),
    });
    const slow = r.run('slow');
    expect(r.historyOf('slow')).toEqual(['CREATED', 'FAILED']);
    expect(slow.attempts.map((a) => a.error?.message)).toEqual(["task 'slow' timed out after PT5S"]);
    expect(r.kills.map((k) => k.taskRunId)).toEqual([slow.id]);
  });

  it('changes nothing when the timer fires after the task ended', async () => {
    const r = await simulate(source);
    expect(r.timers).toHaveLength(1);
    expect(r.kills).toEqual([]);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('retries an attempt that timed out when the task has a retry policy, each with its own timeout', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: slow
            type: ${LOG}
            message: x
            timeout: PT1S
            retry: { type: constant, interval: PT1S, maxAttempt: 2 }
      `,
      { outcome: hanging('slow') },
    );
    expect(r.run('slow').attempts.map((a) => a.state)).toEqual(['FAILED', 'FAILED']);
    expect(r.kills).toHaveLength(2);
    expect(r.count).toBe(1);
  });

  it('fails a flowable task whose timeout passes and kills what runs below it', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: par
            type: ${FLOW}.Parallel
            timeout: PT1M
            tasks:
              - { id: a, type: ${LOG}, message: x }
              - { id: b, type: ${LOG}, message: x }
      `,
      { outcome: hanging('b') },
    );
    expect(r.states).toEqual({ par: 'FAILED', a: 'SUCCESS', b: 'KILLED' });
    expect(r.kills.map((k) => k.taskRunId)).toEqual([r.run('b').id]);
  });
});

describe('kill', () => {
  const source = yaml`
    tasks:
      - id: par
        type: ${FLOW}.Parallel
        tasks:
          - { id: a, type: ${LOG}, message: x }
          - { id: b, type: ${LOG}, message: x }
      - { id: never, type: ${LOG}, message: x }
    errors:
      - { id: onError, type: ${LOG}, message: x }
  `;

  it('kills the running task runs, creates nothing new, and ends KILLING then KILLED', async () => {
    const r = await simulate(source, { outcome: hanging('b') });
    expect(r.execution.state).toBe('RUNNING');
    await r.send({ type: 'kill' });
    expect(r.states).toEqual({ par: 'KILLED', a: 'SUCCESS', b: 'KILLED' });
    expect(r.run('b').attempts.map((a) => a.state)).toEqual(['KILLED']);
    expect(r.kills.map((k) => k.taskRunId)).toEqual([r.run('b').id]);
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'KILLING', 'KILLED']);
    expect(r.count).toBe(3);
  });

  it('ignores a result that arrives after the kill', async () => {
    const r = await simulate(source, { outcome: hanging('b') });
    await r.send({ type: 'kill' });
    const b = r.run('b');
    await r.send({ type: 'result', taskRunId: b.id, attempt: 1, state: 'SUCCESS', outputs: {} });
    expect(r.run('b').state).toBe('KILLED');
    expect(r.execution.state).toBe('KILLED');
  });

  it('kills a paused execution too', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: wait, type: ${FLOW}.Pause }
        - { id: never, type: ${LOG}, message: x }
    `);
    expect(r.execution.state).toBe('PAUSED');
    await r.send({ type: 'kill' });
    expect(r.states).toEqual({ wait: 'KILLED' });
    expect(r.execution.state).toBe('KILLED');
  });

  it('changes nothing once the execution has ended', async () => {
    const r = await simulate(source, { outcome: failing('a') });
    expect(r.execution.state).toBe('FAILED');
    await r.send({ type: 'kill' });
    expect(r.execution.state).toBe('FAILED');
  });
});
