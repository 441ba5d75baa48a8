// A ForEach whose items are quick, then slow, on two real agents of one slot each: an agent that was
// leased the slow items ahead (held ready while its jobs ran short) gives back the one still waiting
// behind the other, so the slow items run side by side on both agents instead of one after the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

// distinct values (an iteration is known by its value): six quick items, then two slow ones
const quick = Array.from({ length: 6 }, (_, i) => (i ? `0.${'0'.repeat(i)}` : '0'));
const slow = ['2', '2.0'];
const values = [...quick, ...slow];

const flow = `
id: turns-slow
namespace: t.giveback
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: '${JSON.stringify(values)}'
    concurrencyLimit: 0
    tasks:
      - id: work
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - sleep {{ taskrun.value }}
`;

describe('jobs held ready behind slow ones', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('one', {}, 1);
    await plane.agent('two', {}, 1);
    await applyFlow(plane.api, flow);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('go back to the control plane, and the slow items run on both agents at once', async () => {
    const { id } = await runFlow(plane.api, 't.giveback', 'turns-slow');
    const execution = await waitForEnd(plane.api, id, 30_000);
    expect(execution.state.current).toBe('SUCCESS');
    const runs = execution.taskRunList.filter((r) => r.taskId === 'work' && slow.includes(r.value ?? ''));
    expect(runs).toHaveLength(2);
    // each ran once: a job given back is queued again as the same attempt, its start undone
    for (const run of runs) expect(run.attempts).toHaveLength(1);
    expect(new Set(runs.map((run) => run.attempts[0]!.agentId))).toEqual(new Set(['one', 'two']));
  }, 60_000);
});
