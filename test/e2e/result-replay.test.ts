// Replay of a captured result message, with real processes: agent A runs attempt 1 of a job, is cut off
// from the broker (a TCP proxy of ours) and finishes it into its outbox; the control plane has already
// given the job to agent B, whose attempt 2 ends the execution. The exact payload A would publish for
// attempt 1 (read from A's outbox, encoded as its transport encodes it) is then published again: with
// A's own credential the control plane refuses it and nothing in the execution changes; with B's
// credential the broker refuses the publish into A's topic tree and closes B's connection.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibsqlBuffer } from '../../agent/buffer/index.ts';
import { downTopic, upTopic } from '../../protocol/topics.ts';
import { encode } from '../../protocol/validate.ts';
import { applyFlow, call, type ExecutionJson, runFlow, waitForEnd } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import {
  freePort,
  PROCESS_ADMIN_TOKEN,
  Processes,
  startControlPlane,
  stopControlPlane,
} from '../support/processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

// attempt 1 (the first to run) waits for the test's go-ahead; a later attempt finishes at once
const flow = (dir: string) => `
id: replayed
namespace: e2e.replay
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: replay
    commands:
      - |
        if [ ! -e ${dir}/first ]; then
          touch ${dir}/first
          while [ ! -e ${dir}/go ]; do sleep 0.1; done
          echo '::{"outputs":{"ranBy":"first"}}::'
        else
          echo '::{"outputs":{"ranBy":"second"}}::'
        fi
`;

function connect(url: string, agentId: string, credential: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: agentId,
    username: agentId,
    password: credential,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}

describe('a captured result replayed after its job was re-dispatched', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  let proxy: TcpProxy | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret: 'not-used-here', leaseMs: 3_000 }));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await proxy?.close();
    await stopControlPlane(processes, db);
  });

  const enrol = async (token: string, name: string) => {
    const dir = processes.tempDir(`replay-${name}`);
    const register = processes.spawn(
      `register ${name}`,
      ['agent', 'register', '--url', cp.api, '--token', token, '--data-dir', dir, '--name', name],
      { ROOST_TOKEN: PROCESS_ADMIN_TOKEN },
    );
    expect(await register.exited, register.output).toBe(0);
    const { agentId, enrolment } = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8'));
    return { dir, agentId: agentId as string, credential: enrolment.credential as string };
  };

  it('is refused with the first agent credential, changes nothing, and is refused by the broker for another agent', async () => {
    const dir = processes.tempDir('replay-flow');
    await applyFlow(cp.api, flow(dir));
    const token = await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', {
      labels: { group: 'replay' },
    });
    const a = await enrol(token.body.token, 'replay-a');
    const b = await enrol(token.body.token, 'replay-b');

    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.mqttUrl).port) });
    const healthPort = await freePort();
    const agentA = processes.spawn(
      'agent a',
      [
        'agent',
        'start',
        '--data-dir',
        a.dir,
        '--url',
        `mqtt://127.0.0.1:${proxy.port}`,
        '--slots',
        '1',
        '--health-port',
        String(healthPort),
      ],
      {},
    );
    await agentA.waitFor(/welcomed/);
    const created = await runFlow(cp.api, 'e2e.replay', 'replayed');
    await until(async () => existsSync(join(dir, 'first')), 'attempt 1 to start on agent A', 30_000);

    // A is cut off: the control plane releases the job (not offline-capable) while A finishes attempt 1
    proxy.cut();
    await cp.proc.waitFor(/agent offline \(connection lost\)/);
    writeFileSync(join(dir, 'go'), '');
    await until(
      async () => {
        const status = processes.spawn(
          'status',
          ['agent', 'status', '--health-port', String(healthPort)],
          {},
        );
        await status.exited;
        return /jobs held 0; outbox [1-9]/.test(status.output);
      },
      'agent A to finish attempt 1 into its outbox',
      30_000,
    );
    await agentA.kill('SIGKILL');

    // B takes the job: attempt 2 ends the execution
    const agentB = processes.spawn(
      'agent b',
      ['agent', 'start', '--data-dir', b.dir, '--url', cp.mqttUrl],
      {},
    );
    await agentB.waitFor(/welcomed/);
    const done = await waitForEnd(cp.api, created.id, 60_000);
    expect(done.state.current).toBe('SUCCESS');
    const work = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'work')!;
    expect(work(done).attempts.map((x) => x.agentId)).toEqual([a.agentId, b.agentId]);
    expect(work(done).outputs?.vars).toEqual({ ranBy: 'second' });
    await agentB.kill();

    // the exact result message A publishes for attempt 1, from its outbox
    const buffer = await openLibsqlBuffer(a.dir);
    const pending = await buffer.pendingOutbox();
    await buffer.close();
    const captured = pending.find((entry) => entry.kind === 'result');
    if (captured?.kind !== 'result')
      throw new Error(`no result in agent A's outbox: ${JSON.stringify(pending)}`);
    expect(captured.message).toMatchObject({
      attempt: 1,
      state: 'SUCCESS',
      outputs: { vars: { ranBy: 'first' } },
    });
    const payload = encode(captured.message);
    const before = (await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${created.id}`)).body;

    // replayed with A's own credential: the control plane answers that A does not hold this attempt
    const asA = await connect(cp.mqttUrl, a.agentId, a.credential);
    clients.push(asA);
    await asA.subscribeAsync(downTopic(a.agentId, 'control'), { qos: 1 });
    const answer = new Promise<Record<string, unknown>>((resolve) =>
      asA.on('message', (_topic, body) => {
        const message = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        if (message.kind === 'resultAck') resolve(message);
      }),
    );
    await asA.publishAsync(upTopic(a.agentId, 'result'), payload, { qos: 1 });
    expect(await answer).toMatchObject({
      jobId: captured.message.jobId,
      attempt: 1,
      accepted: false,
      reason: 'the agent does not hold the current lease of this job and attempt',
    });
    await cp.proc.waitFor(/result rejected: stale or not the lease holder/);
    await asA.endAsync();

    // replayed with B's credential into A's tree: the broker closes B's connection
    const asB = await connect(cp.mqttUrl, b.agentId, b.credential);
    clients.push(asB);
    const closed = new Promise<void>((resolve) => asB.once('close', () => resolve()));
    asB.publish(upTopic(a.agentId, 'result'), payload, { qos: 1 });
    await closed;

    // nothing changed: one result per attempt, attempt 2's outputs
    const after = (await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${created.id}`)).body;
    expect(after).toEqual(before);
    expect(work(after).attempts.map((x) => x.state.current)).toEqual([
      work(before).attempts[0]!.state.current,
      'SUCCESS',
    ]);
  }, 180_000);
});
