// Tasks go only to agents of their worker group; tasks without a group go to agents without a `group` label.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
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
});
