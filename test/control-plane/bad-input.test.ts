// Bad input gets a clear error that names what is wrong and where, and changes nothing else.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upTopic } from '../../protocol/index.ts';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

type Problem = {
  code: string;
  message: string;
  details?: { issues?: { line?: number; column?: number; path: string }[] };
};

const yaml = (body: string) => [body, 'application/x-yaml'] as const;

describe('bad input', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('healthy');
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  async function storedFlows() {
    return (await call<{ total: number }>(plane.api, 'GET', '/api/v1/flows/search')).body.total;
  }

  it('refuses invalid YAML with its line and column, and stores nothing', async () => {
    const before = await storedFlows();
    const res = await call<Problem>(
      plane.api,
      'POST',
      '/api/v1/flows',
      ...yaml('id: broken\nnamespace: t\ntasks:\n  - id: a\n   type: [oops\n'),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ROOST_FLOW_YAML');
    expect(res.body.message).toMatch(/line \d+, column \d+/);
    expect(await storedFlows()).toBe(before);
  });

  it('names an unknown task type and where it is', async () => {
    const res = await call<Problem>(
      plane.api,
      'POST',
      '/api/v1/flows',
      ...yaml(
        'id: unknown\nnamespace: t\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n  - id: b\n    type: com.example.Missing\n',
      ),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ROOST_FLOW_UNKNOWN_TYPE');
    expect(res.body.message).toContain("'com.example.Missing'");
    expect(res.body.message).toContain('tasks[1]');
    expect((await call(plane.api, 'GET', '/api/v1/flows/t/unknown')).status).toBe(404);
  });

  it('names a duplicate task id and both places', async () => {
    const res = await call<Problem>(
      plane.api,
      'POST',
      '/api/v1/flows',
      ...yaml(`id: dup
namespace: t
tasks:
  - id: same
    type: io.kestra.plugin.core.log.Log
    message: one
  - id: wrap
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: same
        type: io.kestra.plugin.core.log.Log
        message: two
`),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ROOST_FLOW_DUPLICATE_ID');
    expect(res.body.message).toContain("'same'");
    expect(res.body.message).toMatch(/tasks\[0\].*tasks\[1\]\.tasks\[0\]|tasks\[1\]\.tasks\[0\].*tasks\[0\]/);
  });

  it('answers 404 for an execution of a missing flow and creates no execution', async () => {
    const res = await call<Problem>(plane.api, 'POST', '/api/v1/executions/t/nowhere', {});
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ROOST_NOT_FOUND');
    expect(res.body.message).toContain('t.nowhere');
    const search = await call<{ total: number }>(
      plane.api,
      'GET',
      '/api/v1/executions/search?namespace=t&flowId=nowhere',
    );
    expect(search.body.total).toBe(0);
  });

  it('refuses a bad input value naming the input and the rule, and creates no execution', async () => {
    await applyFlow(
      plane.api,
      'id: typed\nnamespace: t\ninputs:\n  - id: count\n    type: INT\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ inputs.count }}"\n',
    );
    const res = await call<Problem>(plane.api, 'POST', '/api/v1/executions/t/typed', { count: 'many' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ROOST_INPUT_INVALID');
    expect(res.body.message).toContain("'count'");
    const search = await call<{ total: number }>(
      plane.api,
      'GET',
      '/api/v1/executions/search?namespace=t&flowId=typed',
    );
    expect(search.body.total).toBe(0);
  });

  it('drops malformed MQTT payloads from an agent while the broker and the executor keep running', async () => {
    const rogue = await mqtt.connectAsync(plane.mqttUrl, {
      clientId: 'rogue',
      username: 'rogue',
      password: plane.secret,
      reconnectPeriod: 0,
    });
    for (const [kind, payload] of [
      ['result', 'not json at all'],
      ['result', JSON.stringify({ v: 1, id: 'x', jobId: 'nope' })],
      ['hello', JSON.stringify({ v: 1, id: 'x', agentId: 'rogue', slots: -4 })],
      ['logs', JSON.stringify({ v: 1, id: 'x', jobId: 'j', attempt: 1, seq: 0, lines: [] })],
    ] as const) {
      await rogue.publishAsync(upTopic('rogue', kind), payload, { qos: 1 });
    }
    await rogue.endAsync();

    await applyFlow(
      plane.api,
      'id: after\nnamespace: t\ntasks:\n  - id: ok\n    type: io.kestra.plugin.core.debug.Return\n    format: still here\n',
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 't', 'after')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]?.outputs).toEqual({ value: 'still here' });
    expect((await call(plane.api, 'GET', '/health')).body).toEqual({ status: 'UP' });
  });

  it('refuses a client that presents a wrong secret or an agent id with topic characters', async () => {
    await expect(
      mqtt.connectAsync(plane.mqttUrl, {
        clientId: 'intruder',
        username: 'intruder',
        password: 'wrong',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    await expect(
      mqtt.connectAsync(plane.mqttUrl, {
        clientId: 'a/+/b',
        username: 'a/+/b',
        password: plane.secret,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
  });

  it('serves the JSON Schema of a flow document, with every ready task type', async () => {
    const res = await call<{ $defs?: Record<string, unknown>; definitions?: Record<string, unknown> }>(
      plane.api,
      'GET',
      '/api/v1/plugins/schemas/flow',
    );
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    for (const type of [
      'io.kestra.plugin.core.log.Log',
      'io.kestra.plugin.core.flow.ForEach',
      'io.kestra.plugin.scripts.shell.Commands',
    ]) {
      expect(text).toContain(type);
    }
  });
});
