// Jobs held ready: the control plane leases an agent jobs beyond its slots only while that agent's jobs
// run short, so that a slot freed never waits for the control plane. The agent here is a bare MQTT
// client speaking the protocol, so the test decides how long each job "ran" and when each result goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READY_HOLD_MS } from '../../control-plane/dispatcher/sessions.ts';
import { encode, type Job, newId, PROTOCOL_VERSION } from '../../protocol/index.ts';
import { upTopic } from '../../protocol/topics.ts';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
import { type BareAgent, connectBareAgent } from '../support/bare-agent.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

const VALUES = 12;
const SLOTS = 2;
const READY = 2;

const flow = `
id: many
namespace: t.ready
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ${JSON.stringify(JSON.stringify(Array.from({ length: VALUES }, (_, i) => `v${i}`)))}
    concurrencyLimit: 0
    tasks:
      - id: work
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}"
`;

const parallel = `
id: parallel
namespace: t.ready
tasks:
  - id: all
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
${Array.from({ length: 6 }, (_, i) => `      - id: t${i}\n        type: io.kestra.plugin.core.debug.Return\n        format: "${i}"`).join('\n')}
`;

describe('jobs held ready beyond an agent’s slots', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let agent: BareAgent;
  const reported = new Set<string>();

  /** Jobs it holds: sent to it, not yet reported. */
  const held = () => agent.jobs.filter((j) => !reported.has(j.jobId));

  /** Publishes results of `done`, each claiming to have run `runMs`, and waits until each is acknowledged. */
  async function finish(done: Job[], runMs = 0): Promise<void> {
    const end = Date.now();
    for (const job of done) reported.add(job.jobId);
    const fields = { startedAt: new Date(end - runMs).toISOString(), endedAt: new Date(end).toISOString() };
    await Promise.all(done.map((job) => agent.sendResult(job, fields)));
    const ids = new Set(done.map((j) => j.jobId));
    const acked = () => agent.controls.filter((c) => c.kind === 'resultAck' && ids.has(c.jobId)).length;
    // the jobs a result's transaction leases are sent before its acknowledgement
    await until(async () => acked() === done.length, 'the acknowledgements');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    agent = await connectBareAgent(plane, 'bare-ready', { slots: SLOTS, ready: READY });
    await applyFlow(plane.api, flow);
    await applyFlow(plane.api, parallel);
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    await plane?.stop();
    await db?.drop();
  });

  it('fills them while jobs run short, and stops on a long run or a job held long', async () => {
    const { id } = await runFlow(plane.api, 't.ready', 'many');
    await until(async () => agent.jobs.length === SLOTS, 'the first jobs');

    // one short run is not yet a run of short jobs as long as its slots: only the freed slot is filled
    await finish([held()[0]!]);
    expect(held()).toHaveLength(SLOTS);

    // as many short runs in a row as it has slots: its slots and the ready window are filled
    await finish(held());
    expect(held()).toHaveLength(SLOTS + READY);

    // a long run shuts the window: nothing beyond its slots, and it already holds more
    await finish([held()[0]!], 1_000);
    expect(held()).toHaveLength(SLOTS + READY - 1);

    // short runs again, but a job it still holds was sent long ago: only its slots count
    await new Promise((resolve) => setTimeout(resolve, READY_HOLD_MS + 50));
    await finish(held().slice(0, 2));
    expect(held()).toHaveLength(SLOTS);

    // the rest, all short: the window opens again, and the execution ends as it would have anyway
    let peak = 0;
    while (held().length) {
      await finish(held());
      peak = Math.max(peak, held().length);
    }
    expect(peak).toBe(SLOTS + READY);
    const execution = await waitForEnd(plane.api, id);
    expect(execution.state.current).toBe('SUCCESS');
    const runs = execution.taskRunList.filter((r) => r.taskId === 'work');
    expect(runs).toHaveLength(VALUES);
    for (const run of runs) {
      expect(run.state.current).toBe('SUCCESS');
      expect(run.attempts).toHaveLength(1);
    }
    expect(agent.jobs).toHaveLength(VALUES);
  }, 60_000);

  it('holds ready only more of the work it has just finished: never other tasks', async () => {
    const before = agent.jobs.length;
    const { id } = await runFlow(plane.api, 't.ready', 'parallel');
    await until(async () => agent.jobs.length === before + SLOTS, 'the first jobs');
    // short runs, as many as its slots: the window is open, but what heads the queue is other tasks
    let peak = 0;
    while (held().length) {
      await finish(held());
      peak = Math.max(peak, held().length);
    }
    expect(peak).toBe(SLOTS);
    expect((await waitForEnd(plane.api, id)).state.current).toBe('SUCCESS');
  }, 60_000);

  it('takes back a job the agent gives back unstarted: queued again as the same attempt, its start undone', async () => {
    const before = agent.jobs.length;
    const { id } = await runFlow(plane.api, 't.ready', 'many');
    await until(async () => agent.jobs.length === before + SLOTS, 'the first jobs');
    const given = held()[0]!;
    reported.add(given.jobId);
    await agent.client.publishAsync(
      upTopic(agent.agentId, 'ack'),
      encode({
        v: PROTOCOL_VERSION,
        id: newId(),
        jobs: [],
        returned: [{ jobId: given.jobId, attempt: given.attempt }],
      }),
      { qos: 1 },
    );
    // its slot is free again: the same job, the same attempt, comes back first (the oldest queued)
    await until(async () => agent.jobs.filter((j) => j.jobId === given.jobId).length === 2, 'the job again');
    expect(agent.jobs.filter((j) => j.jobId === given.jobId).map((j) => j.attempt)).toEqual([1, 1]);
    reported.delete(given.jobId);
    while (held().length) await finish(held());
    const execution = await waitForEnd(plane.api, id);
    expect(execution.state.current).toBe('SUCCESS');
    const run = execution.taskRunList.find((r) => r.id === given.taskRunId)!;
    // one attempt: the one given back was undone, not ended
    expect(run.attempts).toHaveLength(1);
    expect(run.state.histories?.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
  }, 60_000);
});
