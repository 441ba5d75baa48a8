// An agent that says hello without a job the control plane had leased to it (lost on the way, or its
// buffer lost): that attempt ends FAILED saying so, and the job runs again as the next attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
import { type BareAgent, connectBareAgent } from '../support/bare-agent.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

const flow = `
id: once
namespace: t.hello
tasks:
  - id: only
    type: io.kestra.plugin.core.debug.Return
    format: "x"
`;

describe('a hello without a job the agent was leased', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  const agents: BareAgent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await applyFlow(plane.api, flow);
  }, 60_000);

  afterAll(async () => {
    for (const agent of agents) await agent.close();
    await plane?.stop();
    await db?.drop();
  });

  it('ends that attempt FAILED, saying why, and runs the job again as the next attempt', async () => {
    const first = await connectBareAgent(plane, 'forgetful');
    agents.push(first);
    const { id } = await runFlow(plane.api, 't.hello', 'once');
    await until(async () => first.jobs.length === 1, 'the job');
    const [job] = first.jobs;
    // the agent comes back with an empty inbox
    await first.close();
    const again = await connectBareAgent(plane, 'forgetful', { sessionId: 'session-2', held: [] });
    agents.push(again);
    await until(async () => again.jobs.length === 1, 'the job again');
    expect(again.jobs[0]).toMatchObject({ jobId: job!.jobId, attempt: 2 });
    await again.sendResult(again.jobs[0]!, { outputs: { value: 'x' } });
    const execution = await waitForEnd(plane.api, id);
    expect(execution.state.current).toBe('SUCCESS');
    const [run] = execution.taskRunList;
    expect(run!.attempts.map((a) => a.state.current)).toEqual(['FAILED', 'SUCCESS']);
    expect(run!.attempts[0]!.error).toMatchObject({
      code: 'ROOST_AGENT_LOST',
      message: expect.stringContaining('did not hold the job when it connected again'),
    });
  }, 60_000);
});
