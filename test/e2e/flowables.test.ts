// Flowable tasks the executor resolves, on the real stack (Postgres, MQTT, an in-process agent): Subflow
// (a child execution created with the decision, its end pushed back to the parent, kill cascading),
// Sleep (a durable timer), Labels (merged into the execution's labels), and afterExecution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFlow,
  call,
  type ExecutionJson,
  runFlow,
  waitForEnd,
  waitForExecution,
} from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

interface FullExecution extends ExecutionJson {
  parentId?: string;
  labels: { key: string; value: string }[];
  trigger?: { id: string; type: string; variables: Record<string, unknown> };
}

const get = async (api: string, id: string) =>
  (await call<FullExecution>(api, 'GET', `/api/v1/executions/${id}`)).body;
const labelsOf = (execution: FullExecution) =>
  Object.fromEntries(execution.labels.map(({ key, value }) => [key, value]));
const task = (execution: ExecutionJson, taskId: string) =>
  execution.taskRunList.find((r) => r.taskId === taskId)!;

const CHILD = `
id: child
namespace: e2e.lib
labels: { team: data }
inputs:
  - { id: who, type: STRING }
tasks:
  - { id: hello, type: io.kestra.plugin.core.log.Log, message: "hi {{ inputs.who }}" }
  - { id: greet, type: io.kestra.plugin.core.debug.Return, format: "hello {{ inputs.who }}" }
`;

const SLOW_CHILD = `
id: slow
namespace: e2e.lib
tasks:
  - { id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT1H }
`;

describe('flowable tasks on the real stack', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('flowables-1', {}, 4);
    await applyFlow(plane.api, CHILD);
    await applyFlow(plane.api, SLOW_CHILD);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('runs a subflow: the child is linked to its parent, and its outputs come back to the parent', async () => {
    await applyFlow(
      plane.api,
      `
id: parent
namespace: e2e
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: e2e.lib
    flowId: child
    inputs: { who: "{{ flow.id }}" }
    labels: { origin: "{{ flow.namespace }}" }
    outputs: { said: "{{ outputs.greet.value }}" }
  - { id: after, type: io.kestra.plugin.core.debug.Return, format: "{{ outputs.call.outputs.said }}" }
`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'e2e', 'parent')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList).toHaveLength(2);
    const childId = String(task(done, 'call').outputs?.executionId);
    expect(task(done, 'call').outputs).toEqual({
      executionId: childId,
      state: 'SUCCESS',
      outputs: { said: 'hello parent' },
    });
    expect(task(done, 'after').outputs).toEqual({ value: 'hello parent' });
    const child = await get(plane.api, childId);
    expect(child.state.current).toBe('SUCCESS');
    expect(child.parentId).toBe(done.id);
    expect(child.trigger).toMatchObject({
      id: 'call',
      type: 'io.kestra.plugin.core.flow.Subflow',
      variables: { executionId: done.id, namespace: 'e2e', flowId: 'parent', flowRevision: 1 },
    });
    expect(labelsOf(child)).toEqual({ team: 'data', origin: 'e2e', 'system.correlationId': done.id });
  });

  it('fails a Subflow whose flow does not exist, naming it', async () => {
    await applyFlow(
      plane.api,
      `
id: orphan
namespace: e2e
tasks:
  - { id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: e2e.lib, flowId: missing }
`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'e2e', 'orphan')).id);
    expect(done.state.current).toBe('FAILED');
    const logs = (await call<{ message: string }[]>(plane.api, 'GET', `/api/v1/logs/${done.id}`)).body;
    expect(logs.map((log) => log.message)).toContain(
      "task 'call': the subflow e2e.lib.missing does not exist (namespace 'e2e.lib', flowId 'missing')",
    );
  });

  it('kills the running child when the parent is killed', async () => {
    await applyFlow(
      plane.api,
      `
id: waits
namespace: e2e
tasks:
  - { id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: e2e.lib, flowId: slow }
`,
    );
    const started = await runFlow(plane.api, 'e2e', 'waits');
    const running = await waitForExecution(
      plane.api,
      started.id,
      (e) => task(e, 'call')?.outputs === undefined && task(e, 'call')?.state.current === 'RUNNING',
    );
    const children = await call<{ results: { id: string; parentId?: string }[] }>(
      plane.api,
      'GET',
      '/api/v1/executions/search?namespace=e2e.lib&flowId=slow',
    );
    const childId = children.body.results.find((e) => e.parentId === running.id)?.id;
    expect(childId).toBeDefined();
    await waitForExecution(plane.api, childId!, (e) => task(e, 'nap')?.state.current === 'RUNNING');
    expect((await call(plane.api, 'DELETE', `/api/v1/executions/${running.id}/kill`)).status).toBeLessThan(
      300,
    );
    expect((await waitForEnd(plane.api, running.id)).state.current).toBe('KILLED');
    const child = await waitForEnd(plane.api, childId!);
    expect(child.state.current).toBe('KILLED');
    expect(task(child, 'nap').state.current).toBe('KILLED');
  });

  it('sleeps without an agent, and a Labels task changes the labels the API shows', async () => {
    await applyFlow(
      plane.api,
      `
id: nap-and-label
namespace: e2e
labels: { stage: start }
tasks:
  - { id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT0.1S }
  - { id: tag, type: io.kestra.plugin.core.execution.Labels, labels: { stage: "{{ 'done' }}", by: "{{ task.id }}" } }
`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'e2e', 'nap-and-label')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList.map((r) => [r.taskId, r.state.current])).toEqual([
      ['nap', 'SUCCESS'],
      ['tag', 'SUCCESS'],
    ]);
    expect(task(done, 'nap').attempts.every((a) => a.agentId === undefined)).toBe(true);
    expect(labelsOf(await get(plane.api, done.id))).toEqual({
      stage: 'done',
      by: 'tag',
      'system.correlationId': done.id,
    });
  });

  it('runs afterExecution tasks once the execution failed, and keeps its state', async () => {
    await applyFlow(
      plane.api,
      `
id: after
namespace: e2e
tasks:
  - { id: boom, type: io.kestra.plugin.core.execution.Fail }
afterExecution:
  - { id: seen, type: io.kestra.plugin.core.debug.Return, format: "{{ execution.state }}" }
  - { id: on-success, type: io.kestra.plugin.core.log.Log, message: x, runIf: "{{ execution.state == 'SUCCESS' }}" }
`,
    );
    const started = await runFlow(plane.api, 'e2e', 'after');
    const done = await waitForExecution(
      plane.api,
      started.id,
      (e) =>
        e.taskRunList.length === 3 &&
        e.taskRunList.every((r) => r.state.current !== 'RUNNING' && r.state.current !== 'CREATED'),
    );
    expect(done.state.current).toBe('FAILED');
    expect(done.taskRunList.map((r) => [r.taskId, r.state.current])).toEqual([
      ['boom', 'FAILED'],
      ['seen', 'SUCCESS'],
      ['on-success', 'SKIPPED'],
    ]);
    expect(task(done, 'seen').outputs).toEqual({ value: 'FAILED' });
  });
});
