// Flowable tasks resolved by the executor: Parallel, If, Switch, AllowFailure and Dag, and the errors and
// finally branches every flowable task takes.
import { describe, expect, it } from 'vitest';
import { failing, type Simulation, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FLOW = 'io.kestra.plugin.core.flow';

/** The most attempts of these tasks that were running at the same moment. */
function maxInFlight(r: Simulation, ids: string[]): number {
  const edges = ids
    .flatMap((id) => r.runsOf(id))
    .flatMap((run) => run.attempts)
    .flatMap((a) => [
      { at: Date.parse(a.startDate), delta: 1 },
      { at: Date.parse(a.endDate ?? a.startDate), delta: -1 },
    ])
    .sort((x, y) => x.at - y.at || x.delta - y.delta);
  let now = 0;
  let max = 0;
  for (const edge of edges) {
    now += edge.delta;
    max = Math.max(max, now);
  }
  return max;
}

const parallel = (concurrent: string) => yaml`
  tasks:
    - id: par
      type: ${FLOW}.Parallel
      ${concurrent}
      tasks:
        - { id: a, type: ${LOG}, message: a }
        - { id: b, type: ${LOG}, message: b }
        - { id: c, type: ${LOG}, message: c }
        - { id: d, type: ${LOG}, message: d }
    - { id: after, type: ${LOG}, message: z }
`;

describe('Parallel', () => {
  it('runs all its children at once by default, and counts one task run for itself', async () => {
    const r = await simulate(parallel(''));
    expect(maxInFlight(r, ['a', 'b', 'c', 'd'])).toBe(4);
    expect(r.count).toBe(6);
    expect(r.order.at(-1)).toBe('after');
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('runs at most `concurrent` children at once', async () => {
    const r = await simulate(parallel('concurrent: 2'));
    expect(maxInFlight(r, ['a', 'b', 'c', 'd'])).toBe(2);
    expect(r.count).toBe(6);
  });

  it('starts nothing new after a child fails, lets the running ones end, and ends FAILED', async () => {
    const r = await simulate(parallel('concurrent: 2'), { outcome: failing('a') });
    expect(r.order).toEqual(['a', 'b']);
    expect(r.states).toEqual({ par: 'FAILED', a: 'FAILED', b: 'SUCCESS' });
    expect(r.execution.state).toBe('FAILED');
  });
});

const ifFlow = (condition: string, withElse: boolean) => yaml`
  inputs:
    - { id: x, type: STRING, required: false }
  tasks:
    - id: if
      type: ${FLOW}.If
      condition: "${condition}"
      then:
        - { id: yes, type: ${LOG}, message: y }
      ${withElse ? `else:\n        - { id: no, type: ${LOG}, message: n }` : ''}
`;

describe('If', () => {
  it('runs `then` when the condition is true', async () => {
    const r = await simulate(ifFlow('{{ 1 == 1 }}', true));
    expect(r.states).toEqual({ if: 'SUCCESS', yes: 'SUCCESS' });
  });

  it('runs `else` when the condition is false (false, 0, empty or null)', async () => {
    for (const condition of ['{{ 1 == 2 }}', '0', '', '{{ inputs.x }}']) {
      const r = await simulate(ifFlow(condition, true));
      expect(r.states).toEqual({ if: 'SUCCESS', no: 'SUCCESS' });
    }
  });

  it('leaves only the If task run when the condition is false and there is no else', async () => {
    const r = await simulate(ifFlow('false', false));
    expect(r.count).toBe(1);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it('fails when its condition cannot be rendered', async () => {
    const r = await simulate(ifFlow('{{ outputs.nope }}', true));
    expect(r.states).toEqual({ if: 'FAILED' });
    expect(r.execution.state).toBe('FAILED');
  });
});

const switchFlow = (defaults: boolean) => yaml`
  inputs:
    - { id: v, type: STRING }
  tasks:
    - id: sw
      type: ${FLOW}.Switch
      value: "{{ inputs.v }}"
      cases:
        A:
          - { id: a, type: ${LOG}, message: a }
        B:
          - { id: b1, type: ${LOG}, message: b }
          - { id: b2, type: ${LOG}, message: b }
      ${defaults ? `defaults:\n        - { id: other, type: ${LOG}, message: o }` : ''}
`;

describe('Switch', () => {
  it('runs the case named by its value and outputs the value and defaults false', async () => {
    const r = await simulate(switchFlow(true), { inputs: { v: 'B' } });
    expect(r.order).toEqual(['b1', 'b2']);
    expect(r.run('sw').outputs).toEqual({ value: 'B', defaults: false });
  });

  it('runs the defaults when no case matches, and outputs defaults true', async () => {
    const r = await simulate(switchFlow(true), { inputs: { v: 'Z' } });
    expect(r.order).toEqual(['other']);
    expect(r.run('sw').outputs).toEqual({ value: 'Z', defaults: true });
  });

  it('fails when no case matches and there are no defaults', async () => {
    const r = await simulate(switchFlow(false), { inputs: { v: 'Z' } });
    expect(r.count).toBe(1);
    expect(r.execution.state).toBe('FAILED');
    expect(r.logs.at(-1)?.message).toContain("no case matches the value 'Z'");
  });
});

describe('AllowFailure', () => {
  const source = yaml`
    tasks:
      - id: allow
        type: ${FLOW}.AllowFailure
        tasks:
          - { id: ko, type: ${LOG}, message: k }
          - { id: never, type: ${LOG}, message: n }
        errors:
          - { id: local, type: ${LOG}, message: l }
      - { id: next, type: ${LOG}, message: x }
    errors:
      - { id: global, type: ${LOG}, message: g }
  `;

  it('becomes WARNING, still runs its own errors, and the flow errors do not run', async () => {
    const r = await simulate(source, { outcome: failing('ko') });
    expect(r.order).toEqual(['ko', 'local', 'next']);
    expect(r.states).toEqual({ allow: 'WARNING', ko: 'FAILED', local: 'SUCCESS', next: 'SUCCESS' });
    expect(r.execution.state).toBe('WARNING');
  });

  it('ends SUCCESS when its children succeed', async () => {
    const r = await simulate(source);
    expect(r.states.allow).toBe('SUCCESS');
    expect(r.count).toBe(4);
  });
});

const dag = (concurrent: string) => yaml`
  tasks:
    - id: dag
      type: ${FLOW}.Dag
      ${concurrent}
      tasks:
        - task: { id: t1, type: ${LOG}, message: x }
        - task: { id: t2, type: ${LOG}, message: x }
          dependsOn: [t1]
        - task: { id: t3, type: ${LOG}, message: x }
          dependsOn: [t1]
        - task: { id: t4, type: ${LOG}, message: x }
          dependsOn: [t2, t3]
        - task: { id: t5, type: ${LOG}, message: x }
`;

describe('Dag', () => {
  it('starts each task once its dependencies ended, independent ones at once', async () => {
    const r = await simulate(dag(''));
    expect(r.order).toEqual(['t1', 't5', 't2', 't3', 't4']);
    expect(r.count).toBe(6);
    expect(r.execution.state).toBe('SUCCESS');
    const end = (id: string) => Date.parse(r.run(id).endDate!.toISOString());
    const start = (id: string) => Date.parse(r.run(id).startDate.toISOString());
    expect(start('t4')).toBeGreaterThanOrEqual(Math.max(end('t2'), end('t3')));
  });

  it('runs at most `concurrent` tasks at once', async () => {
    const r = await simulate(dag('concurrent: 1'));
    expect(maxInFlight(r, ['t1', 't2', 't3', 't4', 't5'])).toBe(1);
    expect(r.count).toBe(6);
  });

  it('starts nothing that depends on a failed task and ends FAILED', async () => {
    const r = await simulate(dag(''), { outcome: failing('t2') });
    expect(r.runsOf('t4')).toEqual([]);
    expect(r.states.dag).toBe('FAILED');
    expect(r.execution.state).toBe('FAILED');
  });
});

describe('errors and finally on flowable tasks', () => {
  it('runs a Parallel errors branch after a failed child, then its finally', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: par
            type: ${FLOW}.Parallel
            tasks:
              - { id: a, type: ${LOG}, message: a }
              - { id: b, type: ${LOG}, message: b }
            errors:
              - { id: e1, type: ${LOG}, message: e }
            finally:
              - { id: f1, type: ${LOG}, message: f }
      `,
      { outcome: failing('a') },
    );
    expect(r.order).toEqual(['a', 'b', 'e1', 'f1']);
    expect(r.states.par).toBe('FAILED');
    expect(r.count).toBe(5);
  });

  it('runs an If finally whichever branch ran', async () => {
    const r = await simulate(yaml`
      tasks:
        - id: if
          type: ${FLOW}.If
          condition: "false"
          then:
            - { id: yes, type: ${LOG}, message: y }
          finally:
            - { id: always, type: ${LOG}, message: f }
    `);
    expect(r.order).toEqual(['always']);
    expect(r.states.if).toBe('SUCCESS');
  });
});
