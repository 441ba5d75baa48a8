// A task that is not offline-capable, on an agent cut off from the control plane (a TCP proxy of ours sits
// between them) for longer than the lease: the control plane gives it to the other agent of the group as
// attempt 2, and the cut-off agent stops its task's processes before the link returns, so the job is not
// run by both and only one result is recorded. The same task in a worker group declared offline-capable
// (`roost group create --offline`) keeps its lease through the cut and finishes there.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processGone } from '../../agent/test-support/wait.ts';
import { applyFlow, runFlow, waitForEnd, waitForExecution } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import { PROCESS_ADMIN_TOKEN, Processes } from '../support/processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

describe('a task that is not offline-capable, on an agent cut off past its lease', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let proxy: TcpProxy | undefined;
  const secret = 'cutoff-secret';

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.url) throw new Error('the end-to-end tests need real Postgres');
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    await proxy?.close();
    await db?.drop();
  });

  it('is stopped on the cut-off agent, runs again on the other agent, and has one result', async () => {
    const cp = await processes.controlPlane({ databaseUrl: db.url!, secret, leaseMs: 2_000 });
    const dir = processes.tempDir('cutoff');
    // the first run leaves a child process behind it and waits; a later run finds the mark and ends
    await applyFlow(
      cp.api,
      `
id: leased
namespace: e2e
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: pair
    commands:
      - if mkdir ${dir}/first; then sleep 600 & echo $! > ${dir}/child.pid; wait; fi
      - echo '::{"outputs":{"done":true}}::'
`,
    );
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.mqttUrl).port) });
    const cutOff = await processes.agent({
      url: `mqtt://127.0.0.1:${proxy.port}`,
      secret,
      id: 'pair-a',
      labels: 'group=pair',
    });
    const created = await runFlow(cp.api, 'e2e', 'leased');
    await waitForExecution(cp.api, created.id, (e) => e.taskRunList[0]?.attempts[0]?.agentId === 'pair-a');
    await until(async () => existsSync(join(dir, 'child.pid')), 'the task to start its child process');
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    expect(processGone(child)).toBe(false);
    await processes.agent({ url: cp.mqttUrl, secret, id: 'pair-b', labels: 'group=pair' });

    proxy.cut();
    await waitForExecution(
      cp.api,
      created.id,
      (e) => e.taskRunList[0]?.attempts[1]?.agentId === 'pair-b',
      60_000,
    );
    // still cut off: the agent stops the task once the lease it held can no longer be valid
    await until(async () => processGone(child), 'the cut-off agent to stop the task process', 30_000);
    expect(cutOff.output).toMatch(/past the lease of a job/);

    proxy.restore();
    const done = await waitForEnd(cp.api, created.id, 60_000);
    expect(done.state.current).toBe('SUCCESS');
    const run = done.taskRunList[0]!;
    expect(run.attempts.map((a) => [a.agentId, a.state.current])).toEqual([
      ['pair-a', 'FAILED'],
      ['pair-b', 'SUCCESS'],
    ]);
    expect(run.attempts[0]?.error?.code).toBe('ROOST_AGENT_LOST');
    expect(run.outputs?.vars).toEqual({ done: true });
    // back in touch, the cut-off agent has nothing to report for the job: no stale result reaches the control plane
    await until(
      async () => (cutOff.output.match(/welcomed/g)?.length ?? 0) >= 2,
      'the cut-off agent to be welcomed again',
      30_000,
    );
    expect(cutOff.output).not.toMatch(/refused a result/);
    expect(cp.proc.output).not.toMatch(/result rejected/);
  }, 180_000);

  it('keeps its lease through the cut when its worker group is declared offline-capable', async () => {
    // a control plane of its own, on a database of its own
    const own = await createTestDatabase();
    const cp = await processes.controlPlane({ databaseUrl: own.url!, secret, leaseMs: 1_000 });
    const dir = processes.tempDir('field');
    const create = processes.spawn(
      'group create',
      ['group', 'create', 'fieldwork', '--selector', 'site=far', '--offline', '--server', cp.api],
      { ROOST_TOKEN: PROCESS_ADMIN_TOKEN },
    );
    expect(await create.exited).toBe(0);
    const list = processes.spawn('group list', ['group', 'list', '--server', cp.api], {
      ROOST_TOKEN: PROCESS_ADMIN_TOKEN,
    });
    expect(await list.exited).toBe(0);
    expect(list.output).toContain('fieldwork\tsite=far\toffline');
    await applyFlow(
      cp.api,
      `
id: grouped
namespace: e2e
tasks:
  - id: survey
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: fieldwork
    commands:
      - touch ${dir}/started
      - while [ ! -e ${dir}/go ]; do sleep 0.1; done
      - touch ${dir}/finished
`,
    );
    const fieldProxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.mqttUrl).port) });
    const sql = postgres(own.url!, { max: 1 });
    try {
      await processes.agent({
        url: `mqtt://127.0.0.1:${fieldProxy.port}`,
        secret,
        id: 'far-a',
        labels: 'site=far',
      });
      const created = await runFlow(cp.api, 'e2e', 'grouped');
      await until(async () => existsSync(join(dir, 'started')), 'the task to start');
      await processes.agent({ url: cp.mqttUrl, secret, id: 'far-b', labels: 'site=far' });

      fieldProxy.cut();
      await cp.proc.waitFor(/agent offline \(connection lost\)[^\n]*far-a/);
      // the lease (1 s) ran out over a second ago, and the job is still far-a's first attempt
      await until(async () => {
        const [job] = await sql<{ expired: boolean }[]>`
          select lease_until < now() - interval '1 second' as expired from jobs where execution_id = ${created.id}`;
        return job?.expired === true;
      }, 'the lease of the job to run out');
      const [job] = await sql<{ state: string; agent_id: string; attempt: number; offline: boolean }[]>`
        select state, agent_id, attempt, offline from jobs where execution_id = ${created.id}`;
      expect(job).toEqual({ state: 'leased', agent_id: 'far-a', attempt: 1, offline: true });

      writeFileSync(join(dir, 'go'), '');
      await until(async () => existsSync(join(dir, 'finished')), 'the task to finish while cut off', 30_000);
      fieldProxy.restore();
      const done = await waitForEnd(cp.api, created.id, 60_000);
      expect(done.state.current).toBe('SUCCESS');
      expect(done.taskRunList[0]?.attempts.map((a) => [a.agentId, a.state.current])).toEqual([
        ['far-a', 'SUCCESS'],
      ]);
    } finally {
      await sql.end();
      await fieldProxy.close();
      await processes.stopAll();
      await own.drop();
    }
  }, 180_000);
});
