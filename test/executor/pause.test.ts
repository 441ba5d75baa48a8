// Pause: PAUSED until a resume event (with validated onResume inputs) or the end of its delay; a timeout
// that passes first fails it.
import { describe, expect, it } from 'vitest';
import { planFlow, resumeInputErrors } from '../../control-plane/executor/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const PAUSE = 'io.kestra.plugin.core.flow.Pause';

const paused = (props: string) => yaml`
  tasks:
    - id: pause
      type: ${PAUSE}
      ${props}
      tasks:
        - { id: inside, type: ${LOG}, message: x }
    - { id: last, type: ${LOG}, message: x }
`;

describe('Pause', () => {
  it('pauses the task and the execution until resumed, then runs its tasks and the rest', async () => {
    const r = await simulate(paused(''));
    expect(r.states).toEqual({ pause: 'PAUSED' });
    expect(r.execution.state).toBe('PAUSED');
    expect(r.timers).toEqual([]);
    await r.send({ type: 'resume' });
    expect(r.order).toEqual(['inside', 'last']);
    expect(r.count).toBe(3);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
  });

  it('resumes by itself after its delay: PAUSED once, RUNNING twice in its history', async () => {
    const r = await simulate(paused('delay: PT1S'));
    expect(r.timers).toEqual([
      {
        at: new Date('2026-01-01T00:00:01.000Z'),
        event: { type: 'pauseEnded', taskRunId: r.run('pause').id },
      },
    ]);
    expect(r.count).toBe(3);
    expect(r.historyOf('pause')).toEqual(['CREATED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    expect(r.run('inside').startDate.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('takes its delay from an expression', async () => {
    const r = await simulate(
      yaml`
        inputs:
          - { id: delay, type: DURATION, defaults: PT2S }
        tasks:
          - { id: pause, type: ${PAUSE}, delay: "{{ inputs.delay }}" }
      `,
    );
    expect(r.run('pause').endDate?.toISOString()).toBe('2026-01-01T00:00:02.000Z');
  });

  it('ends FAILED when its timeout passes before a resume, with only its own task run', async () => {
    const r = await simulate(paused('timeout: PT1S'));
    expect(r.count).toBe(1);
    expect(r.historyOf('pause')).toEqual(['CREATED', 'RUNNING', 'PAUSED', 'FAILED']);
    expect(r.execution.state).toBe('FAILED');
  });

  it('ends with the state its behavior names when the delay is over, without running its tasks', async () => {
    const r = await simulate(paused('delay: PT1S\n      behavior: WARN'));
    expect(r.states).toEqual({ pause: 'WARNING', last: 'SUCCESS' });
    expect(r.execution.state).toBe('WARNING');
  });

  it('pauses every iteration of a loop and resumes each after its delay', async () => {
    const r = await simulate(yaml`
      tasks:
        - id: each
          type: io.kestra.plugin.core.flow.EachParallel
          value: ["a", "b", "c"]
          tasks:
            - id: pause
              type: ${PAUSE}
              delay: PT1S
              tasks:
                - { id: log, type: ${LOG}, message: x }
    `);
    expect(r.count).toBe(7);
    expect(r.execution.state).toBe('SUCCESS');
  });
});

describe('resume with onResume inputs', () => {
  const source = yaml`
    tasks:
      - id: pause
        type: ${PAUSE}
        onResume:
          - { id: asked, type: STRING }
          - { id: count, type: INT, required: false }
      - id: last
        type: io.kestra.plugin.core.output.OutputValues
        values:
          asked: "{{ outputs.pause.onResume.asked }}"
  `;

  it('refuses inputs that break the declarations: nothing resumes and the reason is logged', async () => {
    const r = await simulate(source);
    await r.send({ type: 'resume', inputs: { count: 'many' } });
    expect(r.states).toEqual({ pause: 'PAUSED' });
    expect(r.execution.state).toBe('PAUSED');
    const refused = r.logs.at(-1)?.message ?? '';
    expect(refused).toContain("input 'asked' is required");
    expect(refused).toContain("input 'count' (INT)");
  });

  it('passes valid inputs to the tasks after it as outputs.pause.onResume', async () => {
    const r = await simulate(source);
    await r.send({ type: 'resume', inputs: { asked: 'yes', count: '3' } });
    expect(r.run('pause').outputs).toEqual({ onResume: { asked: 'yes', count: 3 } });
    expect(r.jobs.at(-1)?.task.values).toEqual({ asked: '{{ outputs.pause.onResume.asked }}' });
    expect((r.jobs.at(-1)!.context.outputs as { pause: unknown }).pause).toEqual({
      onResume: { asked: 'yes', count: 3 },
    });
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('lets the API check resume inputs before it sends the event', async () => {
    const r = await simulate(source);
    const plan = planFlow(parseFlow(source), 1);
    expect(resumeInputErrors(plan, r.runs.values(), {})).toEqual([
      "input 'asked' is required and was not given",
    ]);
    expect(resumeInputErrors(plan, r.runs.values(), { asked: 'x' })).toEqual([]);
  });
});
