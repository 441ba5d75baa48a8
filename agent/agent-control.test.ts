import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, setUpAgentTest } from './test-support/agent-harness.ts';
import { makeJob } from './test-support/fixtures.ts';
import { processGone, waitUntil } from './test-support/wait.ts';

let h: Harness;

afterEach(async () => {
  expect(h.cp.invalid).toEqual([]);
  await h.teardown();
});

/** A shell job that logs `started`, then sleeps (`sleep` seconds) and logs `done`. */
const sleeper = (sleep = 30) =>
  makeJob({
    task: {
      id: 'sleepy',
      type: 'io.kestra.plugin.scripts.shell.Commands',
      commands: ['echo started', `sleep ${sleep}`, 'echo done'],
    },
  });

describe('agent control messages (§3, §4)', () => {
  it('kills a running job when told and reports it KILLED', async () => {
    h = await setUpAgentTest();
    await h.startAgent();
    const { agentId } = await h.cp.waitFor('hello');
    const job = sleeper();
    await h.cp.sendJob(agentId, job);
    await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    await h.cp.sendControl(
      agentId,
      h.cp.control('kill', { jobId: job.jobId, attempt: 1, reason: 'user asked' }),
    );
    const result = await h.cp.waitFor('result', (r) => r.jobId === job.jobId);
    expect(result).toMatchObject({ state: 'KILLED', error: { message: 'killed: user asked' } });
  });

  it('heartbeats its running jobs and free slots, and stops a job the control plane drops without reporting it', async () => {
    h = await setUpAgentTest({ controlPlane: { heartbeatIntervalMs: 30 } });
    const agent = await h.startAgent({ slots: 3 });
    const { agentId } = await h.cp.waitFor('hello');
    const job = sleeper();
    await h.cp.sendJob(agentId, job);
    const beat = await h.cp.waitFor('heartbeat', (b) => b.running.some((r) => r.jobId === job.jobId));
    expect(beat).toMatchObject({ freeSlots: 2, maintenance: false });
    await h.cp.sendControl(
      agentId,
      h.cp.control('heartbeatAck', { drop: [{ jobId: job.jobId, attempt: 1 }] }),
    );
    await h.cp.waitFor('heartbeat', (b) => b.running.length === 0 && b.freeSlots === 3);
    await agent.stop();
    expect(h.cp.all('result')).toEqual([]);
    expect(await agent.status()).toMatchObject({ inbox: 0, outbox: 0 });
  });

  it('stops for good when superseded, but ignores a Superseded meant for another session', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent();
    const hello = await h.cp.waitFor('hello');
    await h.cp.sendControl(hello.agentId, h.cp.control('superseded', { sessionId: 'some-older-session' }));
    const job = makeJob();
    await h.cp.sendJob(hello.agentId, job);
    await h.cp.waitFor('result', (r) => r.jobId === job.jobId);
    expect(agent.state).toBe('running');

    await h.cp.sendControl(hello.agentId, h.cp.control('superseded', { sessionId: hello.sessionId }));
    await agent.whenStopped();
    expect(await agent.status()).toMatchObject({ state: 'stopped', connected: false });
  });

  it('stops at once when superseded in the middle of a drain, without reporting the running job', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent();
    const hello = await h.cp.waitFor('hello');
    const job = sleeper();
    await h.cp.sendJob(hello.agentId, job);
    await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    const draining = agent.stop();
    await h.cp.sendControl(hello.agentId, h.cp.control('superseded', { sessionId: hello.sessionId }));
    await draining;
    expect(agent.state).toBe('stopped');
    expect(h.cp.all('result')).toEqual([]);
  });

  it('stops when the control plane rejects it', async () => {
    h = await setUpAgentTest({ controlPlane: { autoWelcome: false } });
    const agent = await h.startAgent();
    const hello = await h.cp.waitFor('hello');
    const rejected = {
      sessionId: hello.sessionId,
      protocol: { min: 2, max: 3 },
      reason: 'protocol 1 is too old',
    };
    await h.cp.sendControl(hello.agentId, h.cp.control('rejected', rejected));
    await agent.whenStopped();
    expect(agent.state).toBe('stopped');
  });

  it('drains on stop: says maintenance, takes no new job, finishes the running one and flushes its result', async () => {
    h = await setUpAgentTest({ controlPlane: { heartbeatIntervalMs: 60_000 } });
    const agent = await h.startAgent();
    const hello = await h.cp.waitFor('hello');
    const job = sleeper(0.3);
    await h.cp.sendJob(hello.agentId, job);
    await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    const stopped = agent.stop();
    await h.cp.waitFor('heartbeat', (b) => b.maintenance);
    const late = makeJob();
    await h.cp.sendJob(hello.agentId, late);
    await stopped;
    expect(h.cp.all('result', (r) => r.jobId === job.jobId)).toMatchObject([{ state: 'SUCCESS' }]);
    expect(h.cp.all('ack').flatMap((a) => a.jobs.map((j) => j.jobId))).toEqual([job.jobId]);
    expect(await agent.status()).toMatchObject({ state: 'stopped', outbox: 0 });
  });

  it('hands back on stop a job it held waiting for a slot, and says how many it holds ready', async () => {
    h = await setUpAgentTest({ controlPlane: { heartbeatIntervalMs: 60_000 } });
    const agent = await h.startAgent({ slots: 1 });
    const hello = await h.cp.waitFor('hello');
    expect(hello.ready).toBe(8);
    const running = sleeper(0.3);
    const waiting = makeJob();
    await h.cp.sendJob(hello.agentId, running);
    await h.cp.waitFor('logs', (l) => l.jobId === running.jobId);
    await h.cp.sendJob(hello.agentId, waiting);
    await h.cp.waitFor('ack', (a) => a.jobs.some((j) => j.jobId === waiting.jobId));
    await agent.stop();
    expect(h.cp.all('result').map((r) => [r.jobId, r.state])).toEqual([[running.jobId, 'SUCCESS']]);
    expect(h.cp.all('ack').flatMap((a) => a.returned ?? [])).toEqual([
      { jobId: waiting.jobId, attempt: waiting.attempt },
    ]);
    expect(await agent.status()).toMatchObject({ state: 'stopped', outbox: 0 });
  });

  it('gives back a job that has waited too long for a slot, and never starts it', async () => {
    h = await setUpAgentTest({ controlPlane: { heartbeatIntervalMs: 60_000 } });
    const agent = await h.startAgent({ slots: 1 });
    const hello = await h.cp.waitFor('hello');
    const running = sleeper(2);
    const waiting = makeJob();
    await h.cp.sendJob(hello.agentId, running);
    await h.cp.waitFor('logs', (l) => l.jobId === running.jobId);
    await h.cp.sendJob(hello.agentId, waiting);
    const given = await h.cp.waitFor('ack', (a) => (a.returned ?? []).length > 0);
    expect(given.returned).toEqual([{ jobId: waiting.jobId, attempt: waiting.attempt }]);
    expect(await agent.status()).toMatchObject({ inbox: 1, slotsInUse: 1 });
    await h.cp.waitFor('result', (r) => r.jobId === running.jobId);
    expect(h.cp.all('result').map((r) => r.jobId)).toEqual([running.jobId]);
  });

  it('kills running jobs when a drain is forced', async () => {
    h = await setUpAgentTest();
    const agent = await h.startAgent();
    const { agentId } = await h.cp.waitFor('hello');
    const job = sleeper();
    await h.cp.sendJob(agentId, job);
    await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    const draining = agent.stop();
    const forced = agent.stop({ force: true });
    expect(forced).toBe(draining);
    await forced;
    expect(h.cp.all('result', (r) => r.jobId === job.jobId)).toMatchObject([{ state: 'KILLED' }]);
    await agent.stop();
    expect(await agent.status()).toMatchObject({ state: 'stopped', slotsInUse: 0 });
  });

  it('cut off past the lease, stops the jobs that are not offline-capable without a result, and keeps the others', async () => {
    h = await setUpAgentTest({ controlPlane: { autoWelcome: false, heartbeatIntervalMs: 60_000 } });
    await h.startAgent({ slots: 2 });
    const first = await h.cp.waitFor('hello');
    await h.cp.welcome(first.agentId, first.sessionId);
    const pidFile = join(h.dataDir, 'child.pid');
    const leased = makeJob({
      leaseMs: 300,
      task: {
        id: 'leased',
        type: 'io.kestra.plugin.scripts.shell.Commands',
        commands: [`sleep 60 & echo $! > ${pidFile}`, 'echo started', 'wait'],
      },
    });
    const offline = { ...sleeper(), leaseMs: 300, offline: true };
    await h.cp.sendJob(first.agentId, leased);
    await h.cp.sendJob(first.agentId, offline);
    await h.cp.waitFor('logs', (l) => l.jobId === leased.jobId);
    await h.cp.waitFor('logs', (l) => l.jobId === offline.jobId);
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(processGone(child)).toBe(false);

    // no Welcome comes back: the agent stays cut off, and its Hello retries say what it still holds
    h.broker.dropClient(first.agentId);
    const later = await h.cp.waitFor(
      'hello',
      (m) => m.sessionId !== first.sessionId && !m.held.some((j) => j.jobId === leased.jobId),
    );
    expect(later.held).toEqual([{ jobId: offline.jobId, attempt: 1 }]);
    await waitUntil(() => processGone(child), 'the task process to end');
    await h.cp.welcome(later.agentId, later.sessionId);
    await h.cp.sendControl(
      later.agentId,
      h.cp.control('kill', { jobId: offline.jobId, attempt: 1, reason: 'done' }),
    );
    await h.cp.waitFor('result', (r) => r.jobId === offline.jobId);
    expect(h.cp.all('result', (r) => r.jobId === leased.jobId)).toEqual([]);
  });

  it('keeps a job that is not offline-capable when welcomed again within its lease', async () => {
    h = await setUpAgentTest({ controlPlane: { autoWelcome: false, heartbeatIntervalMs: 60_000 } });
    await h.startAgent();
    const first = await h.cp.waitFor('hello');
    await h.cp.welcome(first.agentId, first.sessionId);
    const job = makeJob({
      task: {
        id: 'kept',
        type: 'io.kestra.plugin.scripts.shell.Commands',
        commands: [
          'echo started',
          `while [ ! -e ${join(h.dataDir, 'go')} ]; do sleep 0.05; done`,
          'echo done',
        ],
      },
    });
    await h.cp.sendJob(first.agentId, job);
    await h.cp.waitFor('logs', (l) => l.jobId === job.jobId);
    h.broker.dropClient(first.agentId);
    const again = await h.cp.waitFor('hello', (m) => m.sessionId !== first.sessionId);
    expect(again.held).toEqual([{ jobId: job.jobId, attempt: 1 }]);
    await h.cp.welcome(again.agentId, again.sessionId);
    writeFileSync(join(h.dataDir, 'go'), '');
    expect(await h.cp.waitFor('result', (r) => r.jobId === job.jobId)).toMatchObject({ state: 'SUCCESS' });
  });

  it('connects over WebSocket at /mqtt', async () => {
    h = await setUpAgentTest({ websocket: true });
    await h.startAgent({ url: h.broker.wsUrl });
    const { agentId } = await h.cp.waitFor('hello');
    const job = makeJob({ task: { id: 'r', type: 'io.kestra.plugin.core.debug.Return', format: 'over ws' } });
    await h.cp.sendJob(agentId, job);
    expect(await h.cp.waitFor('result', (r) => r.jobId === job.jobId)).toMatchObject({
      outputs: { value: 'over ws' },
    });
  });
});
