// afterExecution: tasks that run once the execution has its final state, and never change it.
import { describe, expect, it } from 'vitest';
import { runOnAgent } from './corpus-agent.ts';
import { failing, Simulation, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const RETURN = 'io.kestra.plugin.core.debug.Return';

const flow = (tasks: string) => yaml`
  tasks:
    ${tasks}
  errors:
    - { id: on-error, type: ${LOG}, message: x }
  finally:
    - { id: cleanup, type: ${LOG}, message: x }
  afterExecution:
    - { id: seen, type: ${RETURN}, format: "{{ execution.state }}" }
    - { id: on-success, type: ${LOG}, message: x, runIf: "{{ execution.state == 'SUCCESS' }}" }
    - { id: on-failure, type: ${LOG}, message: x, runIf: "{{ execution.state == 'FAILED' }}" }
`;

describe('afterExecution', () => {
  it('runs after the execution ended, after errors and finally, and sees its final state', async () => {
    const r = await simulate(flow(`- { id: work, type: ${LOG}, message: x }`), { outcome: runOnAgent });
    expect(r.order).toEqual(['work', 'cleanup', 'seen', 'on-success']);
    expect(r.run('seen').outputs).toEqual({ value: 'SUCCESS' });
    expect(r.states).toMatchObject({ 'on-success': 'SUCCESS', 'on-failure': 'SKIPPED' });
    expect(r.count).toBe(5);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
    // the execution had ended when its afterExecution tasks started
    expect(r.execution.endDate!.getTime()).toBeLessThanOrEqual(r.run('seen').startDate.getTime());
  });

  it('runs after a failure, and a failing afterExecution task leaves the final state as it was', async () => {
    const r = await simulate(flow(`- { id: work, type: ${LOG}, message: x }`), {
      outcome: (job) =>
        job.taskId === 'work' || job.taskId === 'seen' ? { state: 'FAILED' } : runOnAgent(job),
    });
    expect(r.order).toEqual(['work', 'on-error', 'cleanup', 'seen']);
    expect(r.states).toMatchObject({ seen: 'FAILED' });
    expect(r.runsOf('on-failure')).toEqual([]);
    expect(r.execution.state).toBe('FAILED');
  });

  it('runs after a kill', async () => {
    const r = await new Simulation(flow(`- { id: work, type: ${LOG}, message: x }`), {
      outcome: (job) => (job.taskId === 'work' ? 'hang' : runOnAgent(job)),
    }).send({ type: 'start' });
    await r.send({ type: 'kill' });
    expect(r.execution.state).toBe('KILLED');
    expect(r.run('seen').outputs).toEqual({ value: 'KILLED' });
    expect(r.states).toMatchObject({ work: 'KILLED', 'on-success': 'SKIPPED', 'on-failure': 'SKIPPED' });
  });

  it('retries an afterExecution task by the flow retry policy without reopening the execution', async () => {
    const r = await simulate(
      yaml`
        retry: { type: constant, interval: PT1S, maxAttempt: 2 }
        tasks:
          - { id: work, type: ${LOG}, message: x }
        afterExecution:
          - { id: notify, type: ${LOG}, message: x }
      `,
      { outcome: failing('notify') },
    );
    expect(r.run('notify').attempts).toHaveLength(2);
    expect(r.execution.state).toBe('SUCCESS');
  });
});
