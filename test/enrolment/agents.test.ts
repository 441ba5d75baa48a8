// Enrolled agents managed by an admin: relabelling moves an online agent into another worker group at
// once, maintenance shows and clears, and an enrolled agent cannot relabel itself through its hello.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/index.ts';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

const flow = (group: string) => `
id: in-${group}
namespace: test.enrolled
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: ran
    workerGroup:
      key: ${group}
      fallback: FAIL
`;

interface AgentJson {
  id: string;
  labels: Record<string, string>;
  maintenance: boolean;
  enrolled: boolean;
}

describe('enrolled agents managed by an admin', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let agent: Agent;
  let agentId: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'roost-enrolled-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await applyFlow(plane.api, flow('first'));
    await applyFlow(plane.api, flow('moved'));
    const token = (
      await call<{ token: string }>(plane.api, 'POST', '/api/v1/agent-tokens', { labels: { group: 'first' } })
    ).body.token;
    const registered = await call<{ agentId: string; credential: string }>(
      plane.api,
      'POST',
      '/api/v1/agents/register',
      {
        token,
        name: 'managed',
      },
    );
    agentId = registered.body.agentId;
    // it claims other labels in its hello: the control plane keeps those it was granted
    agent = new Agent({
      url: plane.mqttUrl,
      agentId,
      secret: registered.body.credential,
      name: 'managed',
      labels: { group: 'moved', sneaky: 'yes' },
      slots: 2,
      dataDir,
    });
    await agent.start();
    await until(async () => (await agent.status()).connected, 'the enrolled agent to be welcomed');
  }, 60_000);

  afterAll(async () => {
    await agent?.stop({ force: true });
    await plane?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const listed = async () =>
    (await call<AgentJson[]>(plane.api, 'GET', '/api/v1/agents')).body.find((a) => a.id === agentId)!;

  it('keeps the granted labels, whatever the hello claims', async () => {
    expect(await listed()).toMatchObject({ labels: { group: 'first' }, enrolled: true });
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.enrolled', 'in-first')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(
      (await waitForEnd(plane.api, (await runFlow(plane.api, 'test.enrolled', 'in-moved')).id)).state.current,
    ).toBe('FAILED');
  });

  it('moves a live agent to another worker group when an admin relabels it', async () => {
    const changed = await call<AgentJson>(plane.api, 'PATCH', `/api/v1/agents/${agentId}`, {
      labels: { group: 'moved' },
    });
    expect(changed.status).toBe(200);
    await until(
      async () =>
        (await waitForEnd(plane.api, (await runFlow(plane.api, 'test.enrolled', 'in-moved')).id)).state
          .current === 'SUCCESS',
      'the relabelled agent to take tasks of its new group',
    );
    expect((await listed()).labels).toEqual({ group: 'moved' });
  });

  it('shows maintenance set by an admin, and refuses bad changes naming the field', async () => {
    expect((await call(plane.api, 'PATCH', `/api/v1/agents/${agentId}`, { maintenance: true })).status).toBe(
      200,
    );
    expect((await listed()).maintenance).toBe(true);
    expect((await call(plane.api, 'PATCH', `/api/v1/agents/${agentId}`, { maintenance: false })).status).toBe(
      200,
    );
    expect((await listed()).maintenance).toBe(false);
    const bad = await call<{ message: string }>(plane.api, 'PATCH', `/api/v1/agents/${agentId}`, {
      slots: 3,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('unknown field slots');
    const wrong = await call<{ message: string }>(plane.api, 'PATCH', `/api/v1/agents/${agentId}`, {
      maintenance: 'yes',
    });
    expect(wrong.body.message).toContain('maintenance must be true or false');
    expect((await call(plane.api, 'PATCH', '/api/v1/agents/nobody', { maintenance: true })).status).toBe(404);
  });
});
