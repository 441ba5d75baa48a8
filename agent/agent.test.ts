import { afterEach, describe, expect, it } from 'vitest';
import { bufferPath } from './buffer/index.ts';
import { LibsqlBuffer } from './buffer/libsql.ts';
import { RESTARTED_MESSAGE } from './recovery.ts';
import { type Harness, setUpAgentTest } from './test-support/agent-harness.ts';
import { makeJob } from './test-support/fixtures.ts';

let h: Harness;
afterEach(async () => {
  expect(h.cp.invalid).toEqual([]);
  await h.teardown();
});

const logJob = (message: string | string[] = 'hello') =>
  makeJob({ task: { id: 'say', type: 'io.kestra.plugin.core.log.Log', message } });

describe('agent session (§3) and jobs (§4)', () => {
  it('says hello, takes a job, acks it, streams its log and delivers its result until acknowledged', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent({ labels: { region: 'eu' }, slots: 3 });
    const hello = await h.cp.waitFor('hello');
    expect(hello).toMatchObject({ labels: { region: 'eu' }, slots: 3, maintenance: false, held: [] });
    expect(await h.cp.waitFor('status', (s) => s.sessionId === hello.sessionId)).toMatchObject({
      online: true,
    });
    const agentId = hello.agentId;

    const job = makeJob({
      task: { id: 'say', type: 'io.kestra.plugin.core.log.Log', message: 'hi {{ inputs.name }}' },
      context: { inputs: { name: 'Ada' } },
    });
    await h.cp.sendJob(agentId, job);
    expect((await h.cp.waitFor('ack')).jobs).toEqual([{ jobId: job.jobId, attempt: 1 }]);
    const logs = await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    expect(logs).toMatchObject({ seq: 0, lines: [{ level: 'INFO', message: 'hi Ada' }] });
    const result = await h.cp.waitFor('result', (r) => r.jobId === job.jobId);
    expect(result).toMatchObject({ state: 'SUCCESS', attempt: 1, logChunks: 1 });

    await agent.stop();
    expect(await agent.status()).toMatchObject({ state: 'stopped', inbox: 0, outbox: 0 });
    expect(await h.cp.waitFor('status', (s) => s.sessionId === hello.sessionId && !s.online)).toBeTruthy();
  });

  it('runs a job delivered twice only once, acknowledging both deliveries', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent();
    const { agentId } = await h.cp.waitFor('hello');
    const job = makeJob({
      task: { id: 'sh', type: 'io.kestra.plugin.scripts.shell.Commands', commands: ['echo ran'] },
    });
    await h.cp.sendJob(agentId, job);
    await h.cp.sendJob(agentId, { ...job, id: 'redelivery' });
    await h.cp.waitFor('result', (r) => r.jobId === job.jobId);
    await h.cp.sendJob(agentId, { ...job, id: 'late redelivery' });
    const acked = () =>
      h.cp
        .all('ack')
        .flatMap((a) => a.jobs)
        .filter((j) => j.jobId === job.jobId);
    await h.cp.waitFor('ack', () => acked().length === 3);
    await agent.stop();
    expect(h.cp.all('result', (r) => r.jobId === job.jobId)).toHaveLength(1);
    expect(
      h.cp.all('logs', (l) => l.jobId === job.jobId).flatMap((l) => l.lines.map((x) => x.message)),
    ).toEqual(['ran']);
  });

  it('publishes a result again after reconnecting until it is acknowledged', async () => {
    h = await setUpAgentTest({ controlPlane: { autoAck: false } });
    const agent = await h.startAgent();
    const first = await h.cp.waitFor('hello');
    const job = logJob();
    await h.cp.sendJob(first.agentId, job);
    const sent = await h.cp.waitFor('result', (r) => r.jobId === job.jobId);

    expect(h.broker.dropClient(first.agentId)).toBe(true);
    const second = await h.cp.waitFor('hello', (m) => m.sessionId !== first.sessionId);
    const resent = await h.cp.waitFor('result', (r) => r.jobId === job.jobId && r !== sent);
    expect(resent).toEqual(sent);

    await h.broker.restart();
    const third = await h.cp.waitFor(
      'hello',
      (m) => m.sessionId !== first.sessionId && m.sessionId !== second.sessionId,
    );
    await h.cp.waitFor('result', () => h.cp.all('result', (r) => r.jobId === job.jobId).length === 3);
    // finished, but its result is not acknowledged: the agent still answers for it (offline-capable jobs)
    expect(third.held).toEqual([{ jobId: job.jobId, attempt: 1 }]);
    await h.cp.ackResult(third.agentId, job);
    await h.cp.sendControl(third.agentId, h.cp.control('logsAck', { jobId: job.jobId, attempt: 1, seq: 0 }));
    await agent.stop();
    expect(await agent.status()).toMatchObject({ outbox: 0, inbox: 0 });
  });

  it('reports the jobs left in its inbox after a restart, runs those not started and fails those that were running', async () => {
    h = await setUpAgentTest({
      controlPlane: { drop: (held) => held.filter((j) => j.jobId === dropped.jobId) },
    });
    const notStarted = logJob('resumed');
    const wasRunning = logJob();
    const dropped = logJob();
    const previous = await LibsqlBuffer.open(bufferPath(h.dataDir));
    for (const job of [notStarted, wasRunning, dropped]) await previous.putJob(job);
    await previous.markRunning(wasRunning);
    await previous.markRunning(dropped);
    await previous.close();

    const agent = await h.startAgent();
    const hello = await h.cp.waitFor('hello');
    expect(hello.held).toEqual(
      [notStarted, wasRunning, dropped].map((j) => ({ jobId: j.jobId, attempt: 1 })),
    );
    expect(await h.cp.waitFor('result', (r) => r.jobId === notStarted.jobId)).toMatchObject({
      state: 'SUCCESS',
    });
    expect(await h.cp.waitFor('result', (r) => r.jobId === wasRunning.jobId)).toMatchObject({
      state: 'FAILED',
      error: { code: 'ROOST_AGENT_LOST', message: RESTARTED_MESSAGE },
    });
    await agent.stop();
    expect(h.cp.all('result', (r) => r.jobId === dropped.jobId)).toEqual([]);
    expect(await agent.status()).toMatchObject({ inbox: 0, outbox: 0 });
  });

  it('drops a malformed down payload and keeps working', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent();
    const { agentId } = await h.cp.waitFor('hello');
    await h.cp.sendRaw(agentId, 'jobs', 'not json at all');
    await h.cp.sendRaw(agentId, 'jobs', JSON.stringify({ ...logJob(), attempt: 0 }));
    await h.cp.sendRaw(agentId, 'control', JSON.stringify({ v: 1, id: 'x', kind: 'explode' }));
    const job = logJob();
    await h.cp.sendJob(agentId, job);
    expect(await h.cp.waitFor('result', (r) => r.jobId === job.jobId)).toMatchObject({ state: 'SUCCESS' });
    expect(h.cp.all('ack').flatMap((a) => a.jobs)).toEqual([{ jobId: job.jobId, attempt: 1 }]);
    expect(agent.state).toBe('running');
  });
});
