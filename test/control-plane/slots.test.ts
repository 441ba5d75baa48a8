// Slots and weights under a burst: 200 tasks across 3 agents. No agent is ever leased more than its slots
// and the jobs it holds ready beyond them (none for the small one), and weighted tasks run only where
// they fit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReady } from '../../agent/options.ts';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const SLOTS: Record<string, number> = { small: 1, medium: 2, large: 4 };
/** slots of jobs each holds ready beyond its slots: the small one none, the others their default */
const READY: Record<string, number> = { small: 0, medium: defaultReady(2), large: defaultReady(4) };

/** Task t{i}'s slots: mostly 1, every fifth 2, every seventh 3 (only the large agent can run those). */
const weightOf = (i: number): number => (i % 7 === 0 ? 3 : i % 5 === 0 ? 2 : 1);

function burstFlow(): string {
  const lines = [
    'id: burst',
    'namespace: test.slots',
    'tasks:',
    '  - id: all',
    '    type: io.kestra.plugin.core.flow.Parallel',
    '    concurrent: 0',
    '    tasks:',
  ];
  for (let i = 0; i < 200; i++) {
    lines.push(
      `      - id: t${i}`,
      '        type: io.kestra.plugin.core.debug.Return',
      `        format: "${i}"`,
    );
    const weight = weightOf(i);
    if (weight > 1) lines.push(`        slots: ${weight}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('slots and weights', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    for (const [id, slots] of Object.entries(SLOTS))
      await plane.agent(id, {}, slots, id === 'small' ? READY.small : undefined);
    await applyFlow(plane.api, burstFlow());
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('never leases an agent more than its slots and ready jobs, and runs weighted tasks only where they fit', async () => {
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.slots', 'burst')).id, 120_000);
    expect(done.state.current).toBe('SUCCESS');
    const runs = done.taskRunList.filter((r) => r.taskId !== 'all');
    expect(runs).toHaveLength(200);
    // each attempt's lease interval (control-plane times) contains the agent's run of it
    const events: { agent: string; at: number; weight: number }[] = [];
    for (const run of runs) {
      const weight = weightOf(Number(run.taskId.slice(1)));
      for (const attempt of run.attempts as unknown as {
        agentId: string;
        state: { startDate: string; endDate: string };
      }[]) {
        events.push({ agent: attempt.agentId, at: Date.parse(attempt.state.startDate), weight });
        events.push({ agent: attempt.agentId, at: Date.parse(attempt.state.endDate), weight: -weight });
      }
      for (const attempt of run.attempts)
        expect(
          SLOTS[attempt.agentId!],
          `${run.taskId} (${weight} slots) on ${attempt.agentId}`,
        ).toBeGreaterThanOrEqual(weight);
    }
    events.sort((a, b) => a.at - b.at || a.weight - b.weight);
    const inUse: Record<string, number> = {};
    const peak: Record<string, number> = {};
    for (const e of events) {
      inUse[e.agent] = (inUse[e.agent] ?? 0) + e.weight;
      peak[e.agent] = Math.max(peak[e.agent] ?? 0, inUse[e.agent]!);
    }
    for (const [agent, slots] of Object.entries(SLOTS)) {
      expect(peak[agent], `peak slots leased to ${agent}`).toBeLessThanOrEqual(slots + READY[agent]!);
      expect(peak[agent], `${agent} took part`).toBeGreaterThan(0);
    }
    // the burst filled the agents: at some point an agent held at least as much as its slots allow
    expect(Object.entries(SLOTS).some(([agent, slots]) => peak[agent]! >= slots)).toBe(true);
  }, 150_000);
});
