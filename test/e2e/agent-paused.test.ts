// An agent frozen (SIGSTOP) past its lease: the job goes to another agent of the group; when the frozen
// agent wakes (SIGCONT) it learns its lease is gone, stops its task, and nothing it sends counts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, type ExecutionJson, runFlow, waitForEnd, waitForExecution } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { processAlive as alive, until } from '../support/in-process.ts';
import { Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

describe('an agent frozen past its lease', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const secret = 'paused-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret, leaseMs: 3_000 }));
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('loses the job to another agent of the group, then stops its own copy when it wakes', async () => {
    const dir = processes.tempDir('paused');
    await applyFlow(
      cp.api,
      `id: frozen\nnamespace: e2e\ntasks:\n  - id: nap\n    type: io.kestra.plugin.scripts.shell.Commands\n    workerGroup:\n      key: line\n    commands:\n      - sleep 6 &\n      - echo $! > ${dir}/$(date +%s%N).pid\n      - wait\n      - echo done\n`,
    );
    const agents = {
      'line-a': await processes.agent({ url: cp.mqttUrl, secret, id: 'line-a', labels: 'group=line' }),
      'line-b': await processes.agent({ url: cp.mqttUrl, secret, id: 'line-b', labels: 'group=line' }),
    };
    const created = await runFlow(cp.api, 'e2e', 'frozen');
    const nap = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'nap');
    const started = await waitForExecution(
      cp.api,
      created.id,
      (e) => nap(e)?.attempts[0]?.agentId !== undefined,
    );
    const frozenId = nap(started)!.attempts[0]!.agentId as keyof typeof agents;
    const frozen = agents[frozenId];
    const other = frozenId === 'line-a' ? 'line-b' : 'line-a';
    await until(async () => readPids(dir).length === 1, 'the first copy of the task to start');
    const [firstChild] = readPids(dir);
    frozen.child.kill('SIGSTOP');

    // the lease runs out; the other agent takes attempt 2
    await waitForExecution(cp.api, created.id, (e) => nap(e)?.attempts[1]?.agentId === other, 20_000);
    frozen.child.kill('SIGCONT');
    // woken, the frozen agent hears that its lease is gone and stops its copy
    await until(async () => !alive(firstChild!), 'the frozen agent to stop its copy of the task', 15_000);

    const done = await waitForEnd(cp.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    expect(nap(done)!.attempts.map((a) => [a.agentId, a.state.current])).toEqual([
      [frozenId, 'FAILED'],
      [other, 'SUCCESS'],
    ]);
    expect(nap(done)!.attempts[0]?.error?.message).toContain('expired');
  }, 90_000);
});

function readPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
    .filter((pid) => pid > 0);
}
