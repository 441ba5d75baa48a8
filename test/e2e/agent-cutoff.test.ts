// A task that is not offline-capable, on an agent cut off from the control plane (a TCP proxy of ours sits
// between them) for longer than the lease: the control plane gives it to the other agent of the group as
// attempt 2, and the cut-off agent stops its task's processes before the link returns, so the job is not
// run by both and only one result is recorded.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processGone } from '../../agent/test-support/wait.ts';
import { applyFlow, runFlow, waitForEnd, waitForExecution } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import { Processes } from '../support/processes.ts';
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
});
