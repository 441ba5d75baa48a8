// Subflow: a child execution per attempt, created by the decision that starts it; its end comes back to
// the parent as an event; killing the parent kills the child.
import { describe, expect, it } from 'vitest';
import { FlowNeeded, loadedFlows } from '../../control-plane/executor/flowables/flows.ts';
import { decide, planFlow } from '../../control-plane/executor/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { runOnAgent } from './corpus-agent.ts';
import { failing, type SimJob, Simulation, START, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const SUBFLOW = 'io.kestra.plugin.core.flow.Subflow';

const child = `
id: child
namespace: lib
labels: { team: data }
inputs:
  - { id: who, type: STRING }
  - { id: times, type: INT, defaults: 1 }
tasks:
  - { id: hello, type: ${LOG}, message: "hi {{ inputs.who }}" }
outputs:
  - { id: greeting, type: STRING, value: "hello {{ inputs.who }} x{{ inputs.times }}" }
`;

const withoutOutputs = `
id: plain
namespace: lib
tasks:
  - { id: work, type: ${LOG}, message: x }
  - { id: value, type: io.kestra.plugin.core.debug.Return, format: "v-{{ execution.id }}" }
`;

const parent = (props: string) => yaml`
  labels: { owner: me }
  tasks:
    - id: call
      type: ${SUBFLOW}
      ${props}
    - { id: after, type: ${LOG}, message: "{{ outputs.call.executionId }}" }
`;

const run = (props: string, options: { outcome?: (job: SimJob) => never } | object = {}) =>
  simulate(parent(props), { flows: [child, withoutOutputs], ...options });

describe('Subflow', () => {
  it('starts the child with its rendered inputs and labels, waits for it, and exposes its id, state and outputs', async () => {
    const r = await run(
      'namespace: lib\n      flowId: child\n      inputs: { who: "{{ flow.id }}" }\n      labels: { extra: "{{ flow.namespace }}" }',
    );
    const [sub] = r.children;
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.count).toBe(2);
    expect(sub!.execution).toMatchObject({
      namespace: 'lib',
      flowId: 'child',
      state: 'SUCCESS',
      parentId: r.execution.id,
      inputs: { who: 'f', times: 1 },
      labels: { team: 'data', extra: 't', 'system.correlationId': r.execution.id },
      trigger: {
        id: 'call',
        type: SUBFLOW,
        variables: { executionId: r.execution.id, namespace: 't', flowId: 'f', flowRevision: 1 },
      },
    });
    expect(r.run('call').outputs).toEqual({
      executionId: sub!.execution.id,
      state: 'SUCCESS',
      outputs: { greeting: 'hello f x1' },
    });
    expect(r.run('call').attempts).toHaveLength(1);
    expect([...sub!.order, ...r.order]).toEqual(['hello', 'after']);
  });

  it('keeps the parent task RUNNING while the child runs', async () => {
    const r = await run('namespace: lib\n      flowId: child\n      inputs: { who: x }', {
      outcome: () => 'hang',
    });
    expect(r.children[0]!.execution.state).toBe('RUNNING');
    expect(r.states).toEqual({ call: 'RUNNING' });
    expect(r.execution.state).toBe('RUNNING');
  });

  it('inherits the parent labels with inheritLabels, except system ones, which it sets itself', async () => {
    const r = await run(
      'namespace: lib\n      flowId: child\n      inheritLabels: true\n      inputs: { who: x }',
    );
    expect(r.children[0]!.execution.labels).toEqual({
      team: 'data',
      owner: 'me',
      'system.correlationId': r.execution.id,
    });
  });

  it('fails with a failed child (transmitFailed), and succeeds without transmitFailed, with the child state in outputs', async () => {
    const failed = await run('namespace: lib\n      flowId: child\n      inputs: { who: x }', {
      outcome: failing('hello'),
    });
    expect(failed.states).toEqual({ call: 'FAILED' });
    expect(failed.execution.state).toBe('FAILED');
    expect(failed.run('call').outputs).toMatchObject({ state: 'FAILED' });

    const kept = await run(
      'namespace: lib\n      flowId: child\n      transmitFailed: false\n      inputs: { who: x }',
      {
        outcome: failing('hello'),
      },
    );
    expect(kept.states).toEqual({ call: 'SUCCESS', after: 'SUCCESS' });
    expect(kept.run('call').outputs).toMatchObject({ state: 'FAILED' });
  });

  it('does not wait with wait: false: SUCCESS at once, with the child execution id only', async () => {
    const r = await run('namespace: lib\n      flowId: child\n      wait: false\n      inputs: { who: x }', {
      outcome: (job: SimJob) => (job.taskId === 'hello' ? 'hang' : { state: 'SUCCESS' }),
    });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.run('call').outputs).toEqual({ executionId: r.children[0]!.execution.id });
    expect(r.children[0]!.execution.state).toBe('RUNNING');
  });

  it('renders its own outputs with the variables of a child flow that declares none', async () => {
    const r = await run(
      'namespace: lib\n      flowId: plain\n      outputs: { got: "{{ outputs.value.value }}", id: "{{ execution.id }}" }',
      { outcome: runOnAgent },
    );
    const id = r.children[0]!.execution.id;
    expect(r.run('call').outputs).toEqual({
      executionId: id,
      state: 'SUCCESS',
      outputs: { got: `v-${id}`, id },
    });
  });

  it('fails when its outputs cannot be rendered, though the child succeeded', async () => {
    const r = await run(
      'namespace: lib\n      flowId: plain\n      outputs: { got: "{{ outputs.missing.value }}" }',
    );
    expect(r.children[0]!.execution.state).toBe('SUCCESS');
    expect(r.states).toEqual({ call: 'FAILED' });
    expect(r.logs.map((log) => log.message).join('\n')).toContain(
      'outputs of the subflow could not be rendered',
    );
  });

  it('fails naming the namespace and flow id when the flow does not exist, and starts nothing', async () => {
    const r = await run('namespace: lib\n      flowId: "{{ \'nope\' }}"');
    expect(r.children).toEqual([]);
    expect(r.states).toEqual({ call: 'FAILED' });
    expect(r.logs.map((log) => log.message)).toContainEqual(
      "task 'call': the subflow lib.nope does not exist (namespace 'lib', flowId 'nope')",
    );
  });

  it('refuses scheduleDate, which Roost does not run yet', async () => {
    const r = await run('namespace: lib\n      flowId: child\n      scheduleDate: "2030-01-01T00:00:00Z"');
    expect(r.children).toEqual([]);
    expect(r.logs.map((log) => log.message)).toContain(
      "task 'call' scheduleDate is not supported by Roost yet",
    );
  });

  it('fails naming the input when the child refuses its inputs', async () => {
    const r = await run('namespace: lib\n      flowId: child\n      inputs: { times: "many" }');
    expect(r.children).toEqual([]);
    expect(r.states).toEqual({ call: 'FAILED' });
    const message = r.logs.map((log) => log.message).find((m) => m.includes('inputs of subflow lib.child'));
    expect(message).toMatch(/'who'/);
  });

  it('retries with a new child execution per attempt', async () => {
    const r = await run(
      'namespace: lib\n      flowId: child\n      inputs: { who: x }\n      retry: { type: constant, interval: PT1S, maxAttempt: 2 }',
      { outcome: failing('hello') },
    );
    expect(r.children.map((c) => c.execution.state)).toEqual(['FAILED', 'FAILED']);
    expect(r.run('call').attempts.map((a) => a.state)).toEqual(['FAILED', 'FAILED']);
    expect(r.run('call').outputs).toMatchObject({ executionId: r.children[1]!.execution.id });
    expect(r.count).toBe(1);
  });

  it('kills the running child when the parent is killed', async () => {
    const r = await run('namespace: lib\n      flowId: child\n      inputs: { who: x }', {
      outcome: () => 'hang',
    });
    await r.send({ type: 'kill' });
    expect(r.execution.state).toBe('KILLED');
    expect(r.children[0]!.execution.state).toBe('KILLED');
    expect(r.children[0]!.states).toEqual({ hello: 'KILLED' });
  });

  it('kills the child when its timeout passes', async () => {
    const r = await run(
      'namespace: lib\n      flowId: child\n      timeout: PT5S\n      inputs: { who: x }',
      {
        outcome: () => 'hang',
      },
    );
    expect(r.states).toEqual({ call: 'FAILED' });
    expect(r.children[0]!.execution.state).toBe('KILLED');
  });

  it('takes the legacy Flow task, which does not wait by default', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: call, type: io.kestra.core.tasks.flows.Flow, namespace: lib, flowId: child, inputs: { who: x } }
      `,
      { flows: [child], outcome: () => 'hang' },
    );
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.children).toHaveLength(1);
  });

  it('asks for a flow it has not been given, so the executor can load it and decide again', () => {
    const flow = parseFlow(parent('namespace: lib\n      flowId: child'));
    const execution = new Simulation(flow).execution;
    expect(() =>
      decide(planFlow(flow, 1), execution, [], { type: 'start' }, START, undefined, loadedFlows(new Map())),
    ).toThrow(FlowNeeded);
  });
});
