// An agent killed mid-task: a second agent of the group takes the job as attempt 2, which succeeds,
// and a late result for attempt 1 is rejected (fencing) and changes nothing.
import mqtt from 'mqtt';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downTopic, encode, PROTOCOL_VERSION, upTopic } from '../../protocol/index.ts';
import {
  applyFlow,
  call,
  type ExecutionJson,
  runFlow,
  waitForEnd,
  waitForExecution,
} from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

const FLOW = `
id: slow
namespace: e2e
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: plant
    commands:
      - sleep 4
      - echo "woke up on $(hostname)"
      - echo '::{"outputs":{"done":true}}::'
`;

describe('an agent killed while it runs a task', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const secret = 'failover-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret, leaseMs: 2_000 }));
    await applyFlow(cp.api, FLOW);
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('is re-dispatched to another agent of the group, and the late result of attempt 1 is rejected', async () => {
    const agents = {
      'plant-a': await processes.agent({ url: cp.mqttUrl, secret, id: 'plant-a', labels: 'group=plant' }),
      'plant-b': await processes.agent({ url: cp.mqttUrl, secret, id: 'plant-b', labels: 'group=plant' }),
    };
    const created = await runFlow(cp.api, 'e2e', 'slow');
    const nap = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'nap');
    const started = await waitForExecution(
      cp.api,
      created.id,
      (e) => nap(e)?.attempts[0]?.agentId !== undefined,
    );
    const victim = nap(started)!.attempts[0]!.agentId as keyof typeof agents;
    const survivor = victim === 'plant-a' ? 'plant-b' : 'plant-a';
    await agents[victim].kill('SIGKILL');
    const done = await waitForEnd(cp.api, created.id);

    expect(done.state.current).toBe('SUCCESS');
    const run = nap(done)!;
    expect(run.attempts.map((a) => [a.agentId, a.state.current])).toEqual([
      [victim, 'FAILED'],
      [survivor, 'SUCCESS'],
    ]);
    expect(run.attempts[0]?.error?.code).toBe('ROOST_AGENT_LOST');
    expect(run.outputs?.vars).toEqual({ done: true });

    // the killed agent's attempt 1 "comes back" with a result: it must be refused
    const sql = postgres(db.url!, { max: 1 });
    const [job] = await sql<
      { id: string; attempt: number }[]
    >`select id, attempt from jobs where task_run_id = ${run.id}`;
    await sql.end();
    expect(job?.attempt).toBe(2);
    const late = await mqtt.connectAsync(cp.mqttUrl, {
      clientId: victim,
      username: victim,
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      const acked = new Promise<{ accepted: boolean; attempt: number }>((resolve) => {
        late.on('message', (_topic, payload) => {
          const message = JSON.parse(payload.toString());
          if (message.kind === 'resultAck') resolve(message);
        });
      });
      await late.subscribeAsync(downTopic(victim, 'control'), { qos: 1 });
      const now = new Date().toISOString();
      await late.publishAsync(
        upTopic(victim, 'result'),
        encode({
          v: PROTOCOL_VERSION,
          id: 'late-1',
          jobId: job!.id,
          attempt: 1,
          state: 'FAILED',
          outputs: { late: true },
          startedAt: now,
          endedAt: now,
          logChunks: 0,
        }),
        { qos: 1 },
      );
      expect(await acked).toMatchObject({ accepted: false, attempt: 1 });
    } finally {
      await late.endAsync();
    }
    const after = await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${created.id}`);
    expect(after.body.state.current).toBe('SUCCESS');
    expect(nap(after.body)?.outputs?.vars).toEqual({ done: true });
    expect(nap(after.body)?.attempts).toHaveLength(2);
  }, 60_000);

  it('fails a task once two agents running it were lost, instead of taking down the fleet', async () => {
    await applyFlow(cp.api, FLOW.replace('id: slow', 'id: deadly').replace('key: plant', 'key: mill'));
    const agents = new Map<string, Awaited<ReturnType<Processes['agent']>>>();
    for (const id of ['mill-a', 'mill-b', 'mill-c']) {
      agents.set(id, await processes.agent({ url: cp.mqttUrl, secret, id, labels: 'group=mill' }));
    }
    const created = await runFlow(cp.api, 'e2e', 'deadly');
    const nap = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'nap');
    for (const n of [0, 1]) {
      const running = await waitForExecution(
        cp.api,
        created.id,
        (e) => nap(e)?.attempts[n]?.agentId !== undefined,
      );
      await agents.get(nap(running)!.attempts[n]!.agentId!)!.kill('SIGKILL');
    }
    const done = await waitForEnd(cp.api, created.id);
    expect(done.state.current).toBe('FAILED');
    const run = nap(done)!;
    expect(run.attempts).toHaveLength(2);
    expect(run.attempts.map((a) => a.state.current)).toEqual(['FAILED', 'FAILED']);
    expect(run.attempts[1]?.error?.code).toBe('ROOST_AGENT_LOST');
    expect(run.attempts[1]?.error?.message).toContain('2 agents were lost');
  }, 60_000);
});
