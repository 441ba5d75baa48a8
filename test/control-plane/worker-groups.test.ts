// Tasks go only to agents of their worker group; tasks without a group go to agents without a `group` label.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const FLOW = `
id: groups
namespace: test.groups
tasks:
  - id: anywhere
    type: io.kestra.plugin.core.debug.Return
    format: default
  - id: in-eu
    type: io.kestra.plugin.core.debug.Return
    format: eu
    workerGroup:
      key: eu
  - id: in-us
    type: io.kestra.plugin.core.debug.Return
    format: us
    workerGroup:
      key: "{{ 'u' ~ 's' }}"
`;

describe('worker groups', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('plain-1');
    await plane.agent('eu-1', { group: 'eu', region: 'eu-west' });
    await plane.agent('us-1', { group: 'us' });
    await applyFlow(plane.api, FLOW);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('runs each task only on an agent of its group, and ungrouped tasks on an agent without a group label', async () => {
    for (let i = 0; i < 3; i++) {
      const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.groups', 'groups')).id);
      expect(done.state.current).toBe('SUCCESS');
      const agentOf = Object.fromEntries(
        done.taskRunList.map((r) => [r.taskId, r.attempts.map((a) => a.agentId)]),
      );
      expect(agentOf).toEqual({ anywhere: ['plain-1'], 'in-eu': ['eu-1'], 'in-us': ['us-1'] });
    }
  });

  it('sends tasks of a declared group to agents whose labels match its selector, once the group is created', async () => {
    await plane.agent('gpu-1', { region: 'eu-west', gpu: 'true' });
    const refused = await call<{ code: string; message: string }>(
      plane.api,
      'POST',
      '/api/v1/worker-groups',
      { key: 'gpu-eu', selector: {} },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('selector');
    const created = await call(plane.api, 'POST', '/api/v1/worker-groups', {
      key: 'gpu-eu',
      selector: { region: 'eu-west', gpu: '*' },
    });
    expect(created.status).toBe(201);
    await applyFlow(
      plane.api,
      'id: gpu\nnamespace: test.groups\ntasks:\n  - id: train\n    type: io.kestra.plugin.core.debug.Return\n    format: trained\n    workerGroup:\n      key: gpu-eu\n',
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.groups', 'gpu')).id);
    expect(done.taskRunList[0]?.attempts.map((a) => a.agentId)).toEqual(['gpu-1']);
    const agents = await call<{ id: string; workerGroups: string[] }[]>(plane.api, 'GET', '/api/v1/agents');
    expect(agents.body.find((a) => a.id === 'gpu-1')?.workerGroups).toEqual(['(default)', 'gpu-eu']);
    expect(agents.body.find((a) => a.id === 'eu-1')?.workerGroups).toEqual(['eu']);
  });

  it('fails a task at once when no agent of its group is live and its fallback is FAIL', async () => {
    await applyFlow(
      plane.api,
      'id: nobody\nnamespace: test.groups\ntasks:\n  - id: lonely\n    type: io.kestra.plugin.core.debug.Return\n    format: x\n    workerGroup:\n      key: mars\n      fallback: FAIL\n',
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.groups', 'nobody')).id);
    expect(done.state.current).toBe('FAILED');
    expect(done.taskRunList[0]?.attempts[0]?.error?.message).toContain("no agent of worker group 'mars'");
  });

  it('cancels a task at once when no agent of its group is live and its fallback is CANCEL', async () => {
    await applyFlow(
      plane.api,
      'id: called-off\nnamespace: test.groups\ntasks:\n  - id: lonely\n    type: io.kestra.plugin.core.debug.Return\n    format: x\n    workerGroup:\n      key: pluto\n      fallback: CANCEL\n    retry:\n      type: constant\n      interval: PT0S\n      maxAttempt: 3\n  - id: after\n    type: io.kestra.plugin.core.debug.Return\n    format: y\n',
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.groups', 'called-off')).id);
    expect(done.state.current).toBe('CANCELLED');
    expect(done.taskRunList.map((r) => [r.taskId, r.state.current])).toEqual([['lonely', 'CANCELLED']]);
    // cancelled is not a failure to retry
    expect(done.taskRunList[0]?.attempts).toHaveLength(1);
    expect(done.taskRunList[0]?.attempts[0]?.error?.message).toContain("no agent of worker group 'pluto'");
  });

  it('waits for an agent of the group, and fails the task with a clear reason once maxWait has passed', async () => {
    await applyFlow(
      plane.api,
      'id: patient\nnamespace: test.groups\ntasks:\n  - id: waits\n    type: io.kestra.plugin.core.debug.Return\n    format: x\n    workerGroup:\n      key: venus\n      maxWait: PT1S\n',
    );
    const created = await runFlow(plane.api, 'test.groups', 'patient');
    const done = await waitForEnd(plane.api, created.id, 20_000);
    expect(done.state.current).toBe('FAILED');
    const waited = Date.parse(done.state.endDate!) - Date.parse(done.state.startDate);
    expect(waited).toBeGreaterThanOrEqual(1_000);
    expect(done.taskRunList[0]?.attempts[0]?.error?.message).toContain("no agent of worker group 'venus'");
  });

  it('makes the tasks of a group declared offline-capable offline-capable, unless a task says offline: false', async () => {
    const refused = await call<{ code: string; message: string }>(
      plane.api,
      'POST',
      '/api/v1/worker-groups',
      {
        key: 'eu-field',
        selector: { region: 'eu-west' },
        offline: 'yes',
      },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('offline must be true or false');
    const groups = await call<{ key: string }[]>(plane.api, 'GET', '/api/v1/worker-groups');
    expect(groups.body.map((g) => g.key)).not.toContain('eu-field');

    const created = await call(plane.api, 'POST', '/api/v1/worker-groups', {
      key: 'eu-field',
      selector: { region: 'eu-west' },
      offline: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'eu-field', offline: true });
    const field = '\n    workerGroup:\n      key: eu-field';
    await applyFlow(
      plane.api,
      `id: field\nnamespace: test.groups\ntasks:
  - id: by-group
    type: io.kestra.plugin.core.debug.Return
    format: a${field}
  - id: says-no
    type: io.kestra.plugin.core.debug.Return
    format: b
    offline: false${field}
  - id: undeclared
    type: io.kestra.plugin.core.debug.Return
    format: c
    workerGroup:
      key: eu
  - id: default-group
    type: io.kestra.plugin.core.debug.Return
    format: d
`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.groups', 'field')).id);
    expect(done.state.current).toBe('SUCCESS');
    const sql = postgres(db.url!, { max: 1 });
    try {
      const rows = await sql<{ task_id: string; offline: boolean }[]>`
        select t.task_id, j.offline from jobs j join task_runs t on t.id = j.task_run_id
        where j.execution_id = ${done.id} order by t.task_id`;
      expect(rows.map((r) => [r.task_id, r.offline])).toEqual([
        ['by-group', true],
        ['default-group', false],
        ['says-no', false],
        ['undeclared', false],
      ]);
    } finally {
      await sql.end();
    }
  });
});
