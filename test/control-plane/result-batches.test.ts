// Results of one execution that arrive together are recorded together: one transaction and one decision
// for the burst, each result still fenced and acknowledged on its own. The agent here is a bare MQTT
// client speaking the protocol, so the test controls exactly when each result is published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../protocol/index.ts';
import { applyFlow, call, type ExecutionJson, runFlow, waitForEnd } from '../support/api.ts';
import { type BareAgent, connectBareAgent } from '../support/bare-agent.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

const TASKS = 12;

const flow = `
id: burst
namespace: t.batches
tasks:
  - id: all
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
${Array.from(
  { length: TASKS },
  (_, i) => `      - id: t${i}
        type: io.kestra.plugin.core.debug.Return
        format: "${i}"`,
).join('\n')}
`;

describe('a burst of results of one execution', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let agent: BareAgent;
  let jobs: Job[];
  let controls: BareAgent['controls'];
  const agentId = 'bare-agent';

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    agent = await connectBareAgent(plane, agentId, { slots: TASKS });
    ({ jobs, controls } = agent);
    await applyFlow(plane.api, flow);
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    await plane?.stop();
    await db?.drop();
  });

  it('records them in fewer commits than results, acknowledges each, refuses a forged one, and ends right', async () => {
    const { id } = await runFlow(plane.api, 't.batches', 'burst');
    await until(async () => jobs.length === TASKS, 'every job');
    const result = (job: Job, attempt = job.attempt) =>
      agent.sendResult(job, { attempt, outputs: { value: String(job.task.format) } });
    // every result at once, a forged one (an attempt this agent was never given) and a repeat
    const first = jobs[0]!;
    await Promise.all([...jobs.map((job) => result(job)), result(first, first.attempt + 1), result(first)]);
    const execution: ExecutionJson = await waitForEnd(plane.api, id);
    expect(execution.state.current).toBe('SUCCESS');
    const runs = execution.taskRunList.filter((r) => r.taskId !== 'all');
    expect(runs).toHaveLength(TASKS);
    for (const run of runs) {
      expect(run.state.current).toBe('SUCCESS');
      expect(run.attempts).toHaveLength(1);
      expect(run.outputs).toEqual({ value: run.taskId.slice(1) });
    }
    // one decision takes one clock reading: runs ended by the same decision share their end date
    const decisions = new Set(runs.map((r) => r.state.endDate));
    expect(decisions.size).toBeLessThan(TASKS);

    const acks = () => controls.filter((c) => c.kind === 'resultAck');
    await until(async () => acks().length === TASKS + 2, 'an ack of each result');
    const forFirst = acks().filter((a) => a.kind === 'resultAck' && a.jobId === first.jobId);
    expect(forFirst.map((a) => a.kind === 'resultAck' && [a.attempt, a.accepted])).toEqual(
      expect.arrayContaining([
        [first.attempt, true],
        [first.attempt, true],
        [first.attempt + 1, false],
      ]),
    );
    expect(acks().filter((a) => a.kind === 'resultAck' && a.accepted)).toHaveLength(TASKS + 1);
  });

  it('gives the slot of a stale result to a queued job, and the stale result changes nothing', async () => {
    // more tasks than the agent has slots: the rest wait in the queue
    const more = TASKS + 3;
    await applyFlow(
      plane.api,
      flow
        .replace('id: burst', 'id: more')
        .replace(
          /\n$/,
          `\n${Array.from(
            { length: more - TASKS },
            (_, i) =>
              `      - id: x${i}\n        type: io.kestra.plugin.core.debug.Return\n        format: "x"\n`,
          ).join('')}`,
        ),
    );
    jobs.length = 0;
    controls.length = 0;
    const { id } = await runFlow(plane.api, 't.batches', 'more');
    await until(async () => jobs.length === TASKS, 'a job for each slot');
    // the agent believes it holds the first job, but its lease ended meanwhile (stopped elsewhere)
    const stale = jobs[0]!;
    const database = await db.open();
    await database.repository.jobs.finish(stale.jobId);
    await agent.sendResult(stale, { outputs: { value: 'late' } });
    await until(async () => controls.some((c) => c.kind === 'resultAck'), 'the stale result answered');
    expect(controls.find((c) => c.kind === 'resultAck')).toMatchObject({
      jobId: stale.jobId,
      accepted: false,
    });
    // the agent is done with the job either way: its slot goes to the next queued job, and only one
    await until(async () => jobs.length === TASKS + 1, 'a queued job for the freed slot');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(jobs).toHaveLength(TASKS + 1);
    // and every job leased to the agent was sent to it
    const received = new Set(jobs.map((j) => j.jobId));
    const leased = await database.repository.jobs.leasedBy(agentId);
    expect(leased.filter((j) => !received.has(j.id))).toEqual([]);
    const execution = await call<ExecutionJson>(plane.api, 'GET', `/api/v1/executions/${id}`);
    const run = execution.body.taskRunList.find((r) => r.id === stale.taskRunId)!;
    expect(run.state.current).toBe('RUNNING');
    expect(run.outputs ?? null).toBeNull();
    await database.connection.close();
  });
});
