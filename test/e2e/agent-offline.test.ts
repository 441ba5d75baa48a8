// An offline-capable task finishes while its agent is cut off from the broker (a TCP proxy of ours sits
// between them) for longer than the lease: the control plane keeps the job with that agent, and once the
// link is back the result and every log line arrive exactly once. An agent that prefetches holds queued
// offline-capable jobs beyond its slots and runs them cut off; one that never returns loses the job to
// another agent once the offline grace has passed.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFlow,
  call,
  type ExecutionJson,
  runFlow,
  waitForEnd,
  waitForExecution,
} from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import { freePort, Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const LINES = 25;

function flow(dir: string): string {
  return `
id: cutoff
namespace: e2e
tasks:
  - id: survey
    type: io.kestra.plugin.scripts.shell.Commands
    offline: true
    workerGroup:
      key: field
    commands:
      - for i in $(seq 1 ${LINES}); do echo "before the cut $i"; done
      - touch ${dir}/started
      - while [ ! -e ${dir}/go ]; do sleep 0.1; done
      - for i in $(seq 1 ${LINES}); do echo "while cut off $i"; done
      - echo '::{"outputs":{"measured":true}}::'
      - touch ${dir}/finished
  - id: report
    type: io.kestra.plugin.core.log.Log
    workerGroup:
      key: field
    message: "survey done: {{ outputs.survey.vars.measured }}"
`;
}

describe('an offline-capable task on an agent cut off from the control plane', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  let proxy: TcpProxy | undefined;
  const secret = 'offline-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret, leaseMs: 1_000 }));
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await stopControlPlane(processes, db);
  });

  it('keeps its lease past the cut, and its result and every log line arrive exactly once', async () => {
    const dir = processes.tempDir('offline');
    await applyFlow(cp.api, flow(dir));
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.mqttUrl).port) });
    const healthPort = await freePort();
    const field = await processes.agent({
      url: `mqtt://127.0.0.1:${proxy.port}`,
      secret,
      id: 'field-a',
      labels: 'group=field',
      args: ['--health-port', String(healthPort)],
    });
    const status = async () => {
      const cli = processes.spawn('status', ['agent', 'status', '--health-port', String(healthPort)], {});
      expect(await cli.exited).toBe(0);
      return cli.output;
    };
    const created = await runFlow(cp.api, 'e2e', 'cutoff');
    const survey = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'survey');
    await until(async () => existsSync(join(dir, 'started')), 'the task to start');

    proxy.cut();
    await cp.proc.waitFor(/agent offline \(connection lost\)/);
    // a second agent of the group is there to take the job, were it wrongly released
    await processes.agent({ url: cp.mqttUrl, secret, id: 'field-b', labels: 'group=field' });
    // the lease (1 s) ran out over a second ago: the sweep (every 250 ms) has passed it several times
    const sql = postgres(db.url!, { max: 1 });
    try {
      await until(async () => {
        const [job] = await sql<{ expired: boolean }[]>`
          select lease_until < now() - interval '1 second' as expired from jobs where execution_id = ${created.id}`;
        return job?.expired === true;
      }, 'the lease of the job to run out');
      const [job] = await sql<{ state: string; agent_id: string; attempt: number }[]>`
        select state, agent_id, attempt from jobs where execution_id = ${created.id}`;
      expect(job).toEqual({ state: 'leased', agent_id: 'field-a', attempt: 1 });
    } finally {
      await sql.end();
    }
    const silent = await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${created.id}`);
    expect(survey(silent.body)?.attempts).toHaveLength(1);
    expect(survey(silent.body)?.state.current).toBe('RUNNING');

    // the task goes on and finishes with no control plane in reach
    writeFileSync(join(dir, 'go'), '');
    await until(async () => existsSync(join(dir, 'finished')), 'the task to finish while cut off');
    const stillCut = await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${created.id}`);
    expect(survey(stillCut.body)?.attempts).toHaveLength(1);
    // roost agent status says what waits: no connection, and the result and log chunks in the outbox
    let cutOff = '';
    await until(async () => {
      cutOff = await status();
      return /jobs held 0; outbox [1-9]/.test(cutOff);
    }, 'the agent to have finished the task into its outbox');
    expect(cutOff).toMatch(/not connected to the control plane since/);

    proxy.restore();
    const done = await waitForEnd(cp.api, created.id, 60_000);
    expect(done.state.current).toBe('SUCCESS');
    const run = survey(done)!;
    expect(run.attempts.map((a) => [a.agentId, a.state.current])).toEqual([['field-a', 'SUCCESS']]);
    expect(run.outputs?.vars).toEqual({ measured: true });

    const expected = [
      ...Array.from({ length: LINES }, (_, i) => `before the cut ${i + 1}`),
      ...Array.from({ length: LINES }, (_, i) => `while cut off ${i + 1}`),
    ];
    // the last chunk may still be in flight when the execution ends: wait for every line, then count
    let lines: string[] = [];
    await until(async () => {
      const logs = await call<{ taskId: string; message: string }[]>(
        cp.api,
        'GET',
        `/api/v1/logs/${created.id}`,
      );
      lines = logs.body.filter((l) => l.taskId === 'survey').map((l) => l.message);
      return expected.every((line) => lines.includes(line));
    }, 'every log line of the task');
    for (const line of expected) expect(lines.filter((l) => l === line)).toHaveLength(1);
    let back = '';
    await until(async () => {
      back = await status();
      return back.includes('outbox 0 ');
    }, 'the outbox to be acknowledged');
    expect(back).toMatch(/, connected to the control plane since/);
    expect(lines.filter((l) => expected.includes(l))).toEqual(expected);
    expect(field.output.match(/welcomed/g)?.length).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it('prefetches offline-capable jobs beyond its slots, and runs them all while cut off', async () => {
    const dir = processes.tempDir('prefetch');
    const branch = (n: number) => `      - id: far-${n}
        type: io.kestra.plugin.scripts.shell.Commands
        offline: true
        workerGroup:
          key: far
        commands:
          - while [ ! -e ${dir}/go ]; do sleep 0.1; done
          - echo "branch ${n} done"
          - touch ${dir}/done-${n}`;
    await applyFlow(
      cp.api,
      `id: prefetch\nnamespace: e2e\ntasks:\n  - id: all\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n${[1, 2, 3].map(branch).join('\n')}\n`,
    );
    const farProxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.mqttUrl).port) });
    try {
      await processes.agent({
        url: `mqtt://127.0.0.1:${farProxy.port}`,
        secret,
        id: 'far-1',
        labels: 'group=far',
        slots: 1,
        args: ['--prefetch', '2'],
      });
      const created = await runFlow(cp.api, 'e2e', 'prefetch');
      const branches = (e: ExecutionJson) => e.taskRunList.filter((r) => r.taskId.startsWith('far-'));
      // one slot runs a branch; the two others wait on the agent, leased to it
      await waitForExecution(
        cp.api,
        created.id,
        (e) => branches(e).filter((r) => r.attempts[0]?.agentId === 'far-1').length === 3,
      );
      farProxy.cut();
      await cp.proc.waitFor(/agent offline \(connection lost\)[^\n]*far-1/);
      writeFileSync(join(dir, 'go'), '');
      await until(
        async () => [1, 2, 3].every((n) => existsSync(join(dir, `done-${n}`))),
        'every branch to finish on the cut-off agent',
        30_000,
      );
      farProxy.restore();
      const done = await waitForEnd(cp.api, created.id, 60_000);
      expect(done.state.current).toBe('SUCCESS');
      expect(branches(done).map((r) => r.attempts.map((a) => [a.agentId, a.state.current]))).toEqual([
        [['far-1', 'SUCCESS']],
        [['far-1', 'SUCCESS']],
        [['far-1', 'SUCCESS']],
      ]);
    } finally {
      await farProxy.close();
    }
  }, 150_000);
});

describe('an offline-capable task whose agent never comes back', () => {
  const processes = new Processes();
  let db: TestDatabase;
  const secret = 'grace-secret';

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('goes to another agent of the group once the offline grace has passed', async () => {
    db = await createTestDatabase();
    if (!db.url) throw new Error('the end-to-end tests need real Postgres');
    const cp = await processes.controlPlane({
      databaseUrl: db.url,
      secret,
      leaseMs: 1_000,
      offlineGraceMs: 2_000,
    });
    await applyFlow(
      cp.api,
      `id: grace\nnamespace: e2e\ntasks:\n  - id: survey\n    type: io.kestra.plugin.scripts.shell.Commands\n    offline: true\n    workerGroup:\n      key: lone\n    commands:\n      - sleep 1\n`,
    );
    const lost = await processes.agent({ url: cp.mqttUrl, secret, id: 'lone-a', labels: 'group=lone' });
    const created = await runFlow(cp.api, 'e2e', 'grace');
    await waitForExecution(cp.api, created.id, (e) => e.taskRunList[0]?.attempts[0]?.agentId === 'lone-a');
    await lost.kill('SIGKILL');
    await processes.agent({ url: cp.mqttUrl, secret, id: 'lone-b', labels: 'group=lone' });
    const done = await waitForEnd(cp.api, created.id, 60_000);
    expect(done.state.current).toBe('SUCCESS');
    const attempts = done.taskRunList[0]!.attempts;
    expect(attempts.map((a) => [a.agentId, a.state.current])).toEqual([
      ['lone-a', 'FAILED'],
      ['lone-b', 'SUCCESS'],
    ]);
    expect(attempts[0]?.error?.message).toContain('offline grace');
  }, 150_000);
});
