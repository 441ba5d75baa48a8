// Sleep (a durable timer, no agent) and Labels (merged into the execution's labels), both resolved by
// the executor.
import { describe, expect, it } from 'vitest';
import { Simulation, simulate, yaml } from './simulate.ts';

const SLEEP = 'io.kestra.plugin.core.flow.Sleep';
const LABELS = 'io.kestra.plugin.core.execution.Labels';
const LOG = 'io.kestra.plugin.core.log.Log';

describe('Sleep', () => {
  it('waits for its duration with a timer, sends no job, then succeeds', async () => {
    const r = await simulate(yaml`
      inputs:
        - { id: wait, type: DURATION, defaults: PT3S }
      tasks:
        - { id: sleep, type: ${SLEEP}, duration: "{{ inputs.wait }}" }
        - { id: after, type: ${LOG}, message: x }
    `);
    expect(r.order).toEqual(['after']);
    expect(r.timers[0]).toEqual({
      at: new Date('2026-01-01T00:00:03.000Z'),
      event: { type: 'sleepEnded', taskRunId: r.run('sleep').id, attempt: 1 },
    });
    expect(r.historyOf('sleep')).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
    expect(r.run('sleep').attempts.map((a) => a.state)).toEqual(['SUCCESS']);
    expect(r.run('after').startDate.toISOString()).toBe('2026-01-01T00:00:03.000Z');
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('fails when its timeout passes first, and a late end of the sleep changes nothing', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: sleep, type: ${SLEEP}, duration: PT10S, timeout: PT1S }
    `);
    expect(r.states).toEqual({ sleep: 'FAILED' });
    expect(r.run('sleep').endDate?.toISOString()).toBe('2026-01-01T00:00:01.000Z');
  });

  it('fails naming the task when its duration is not a duration', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: sleep, type: ${SLEEP}, duration: "{{ 'soon' }}" }
    `);
    expect(r.states).toEqual({ sleep: 'FAILED' });
    expect(r.logs[0]?.message).toBe("task 'sleep' duration: 'soon' is not an ISO-8601 duration");
  });

  it('is killed with its execution while it sleeps, and its timer then changes nothing', async () => {
    const r = await new Simulation(yaml`
      tasks:
        - { id: sleep, type: ${SLEEP}, duration: PT1H }
    `).send({ type: 'start' }, 1);
    expect(r.states).toEqual({ sleep: 'RUNNING' });
    await r.send({ type: 'kill' });
    expect(r.states).toEqual({ sleep: 'KILLED' });
    expect(r.execution.state).toBe('KILLED');
    expect(r.run('sleep').endDate?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('Labels', () => {
  it('merges its labels (map, list or JSON) into the execution, a later one overriding', async () => {
    const r = await simulate(yaml`
      labels: { team: a }
      tasks:
        - { id: map, type: ${LABELS}, labels: { "{{ flow.id }}-key": "{{ flow.namespace }}", team: b } }
        - { id: list, type: ${LABELS}, labels: [{ key: env, value: prod }] }
        - { id: json, type: ${LABELS}, labels: '{{ {"n": 1} | json }}' }
    `);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.order).toEqual([]);
    expect(r.execution.labels).toEqual({
      team: 'b',
      'f-key': 't',
      env: 'prod',
      n: '1',
      'system.correlationId': 'e1',
    });
  });

  it('refuses to set a system label and changes no label', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: l, type: ${LABELS}, labels: { ok: yes, system.correlationId: mine } }
    `);
    expect(r.states).toEqual({ l: 'FAILED' });
    expect(r.execution.labels).toEqual({ 'system.correlationId': 'e1' });
    expect(r.logs[0]?.message).toContain("system.correlationId: labels starting with 'system.'");
  });

  it('fails naming the task when a label cannot be rendered', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: l, type: ${LABELS}, labels: { a: "{{ nope }}" } }
    `);
    expect(r.states).toEqual({ l: 'FAILED' });
    expect(r.logs[0]?.message).toContain("task 'l' labels");
  });
});
