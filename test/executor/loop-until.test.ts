// LoopUntil: children run, then the condition; unless it holds, the next iteration starts after the
// interval (a timer) and replaces the task runs of the previous one.
import { describe, expect, it } from 'vitest';
import { runOnAgent } from './corpus-agent.ts';
import { Simulation, simulate, yaml } from './simulate.ts';

const RETURN = 'io.kestra.plugin.core.debug.Return';

const loop = (
  props: string,
  children = `- { id: r, type: ${RETURN}, format: "{{ taskrun.iteration }}" }`,
) => yaml`
  tasks:
    - id: loop
      type: io.kestra.plugin.core.flow.LoopUntil
      ${props}
      tasks:
        ${children}
`;

describe('LoopUntil', () => {
  it('runs until the condition holds, one interval apart, replacing the task runs of each iteration', async () => {
    const r = await simulate(
      loop('condition: "{{ outputs.r.value == \'3\' }}"\n      checkFrequency: { interval: PT10S }'),
      { outcome: runOnAgent },
    );
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.count).toBe(2);
    expect(r.order).toEqual(['r', 'r', 'r']);
    expect(r.jobs.map((job) => (job.context.taskrun as { iteration: number }).iteration)).toEqual([1, 2, 3]);
    expect(r.run('loop').outputs).toEqual({ iterationCount: 3 });
    expect(r.run('r').outputs).toEqual({ value: '3' });
    expect(r.timers.map((t) => [t.at.toISOString(), t.event])).toEqual([
      ['2026-01-01T00:00:10.010Z', { type: 'loopDue', taskRunId: r.run('loop').id, iteration: 2 }],
      ['2026-01-01T00:00:20.020Z', { type: 'loopDue', taskRunId: r.run('loop').id, iteration: 3 }],
    ]);
  });

  it('waits a minute between iterations by default', async () => {
    const r = await simulate(loop('condition: "{{ outputs.r.value == \'2\' }}"'), { outcome: runOnAgent });
    expect(r.timers.map((t) => t.at.toISOString())).toEqual(['2026-01-01T00:01:00.010Z']);
  });

  it('stops at a maximum: SUCCESS, or FAILED with failOnMaxReached', async () => {
    const props = 'condition: "false"\n      checkFrequency: { interval: PT1S, maxIterations: 2 }';
    const kept = await simulate(loop(props));
    expect(kept.states).toEqual({ loop: 'SUCCESS', r: 'SUCCESS' });
    expect(kept.run('loop').outputs).toEqual({ iterationCount: 3 });
    const failed = await simulate(loop(`${props}\n      failOnMaxReached: true`));
    expect(failed.states).toEqual({ loop: 'FAILED', r: 'SUCCESS' });
  });

  it('stops after its maxDuration', async () => {
    const r = await simulate(
      loop(
        'condition: "false"\n      failOnMaxReached: true\n      checkFrequency: { interval: PT1S, maxDuration: PT3S }',
      ),
    );
    expect(r.states.loop).toBe('FAILED');
    expect(r.run('loop').outputs).toEqual({ iterationCount: 4 });
  });

  it('ends FAILED when a child fails, and runs its errors branch', async () => {
    const r = await simulate(
      loop(
        'condition: "false"\n      errors:\n        - { id: handle, type: io.kestra.plugin.core.log.Log, message: x }',
        `- { id: boom, type: io.kestra.plugin.core.execution.Fail }`,
      ),
      { outcome: runOnAgent },
    );
    expect(r.states).toEqual({ loop: 'FAILED', boom: 'FAILED', handle: 'SUCCESS' });
    expect(r.timers).toEqual([]);
  });

  it('fails naming the task when its condition cannot be rendered', async () => {
    const r = await simulate(loop('condition: "{{ nope }}"'));
    expect(r.states.loop).toBe('FAILED');
    expect(r.logs.map((log) => log.message).join('\n')).toContain("task 'loop' condition");
  });

  it('is killed while it waits, and its timer then changes nothing', async () => {
    const r = await new Simulation(loop('condition: "false"')).send({ type: 'start' }, 2);
    expect(r.states).toEqual({ loop: 'RUNNING', r: 'SUCCESS' });
    expect(r.timers.map((t) => t.event.type)).toEqual(['loopDue']);
    await r.send({ type: 'kill' });
    expect(r.states).toEqual({ loop: 'KILLED', r: 'SUCCESS' });
    expect(r.execution.state).toBe('KILLED');
    expect(r.count).toBe(2);
  });
});
