// Automatic upgrades, with real processes and two real bundles (npm run build into temporary
// directories, as versions 0.9.0 and 0.9.1): an agent installed by install.sh with --auto-upgrade runs
// a job when its control plane starts serving 0.9.1. It fetches and verifies the bundle at once but
// switches only once the job is done and its result delivered, then restarts (PREFIX/bin/roost-agent)
// as 0.9.1, keeping 0.9.0 for `roost-agent upgrade --rollback`. `roost-agent upgrade` by hand waits for
// a busy agent to become idle (bounded by --wait) and switches nothing when it stays busy.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFlow,
  call,
  type ExecutionJson,
  runFlow,
  waitForEnd,
  waitForExecution,
} from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import { Processes, RoostProcess, startControlPlane, stopControlPlane } from '../support/processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const BUNDLE_FILES = ['roost-agent.tar.gz', 'roost-agent.version', 'roost-agent.tar.gz.sha256'];

const flow = (dir: string) => `
id: upgraded
namespace: e2e.upgrade
inputs:
  - id: gate
    type: STRING
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: upgrade
    commands:
      - touch ${dir}/started-{{ inputs.gate }}
      - while [ ! -e ${dir}/{{ inputs.gate }} ]; do sleep 0.1; done
      - echo '::{"outputs":{"gate":"{{ inputs.gate }}"}}::'
`;

describe('agent upgrades', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const started: RoostProcess[] = [];
  let bundles: { old: string; next: string; served: string };

  /** Serves a built bundle: its tarball and version first, the .sha256 (what the control plane watches) last. */
  const serve = (from: string) => {
    for (const file of BUNDLE_FILES) copyFileSync(join(from, file), join(bundles.served, file));
  };

  const shell = (name: string, line: string, env: Record<string, string> = {}) => {
    const child = spawn('sh', ['-c', line], {
      env: { HOME: processes.tempDir('home'), PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const proc = new RoostProcess(name, child);
    started.push(proc);
    return proc;
  };

  beforeAll(async () => {
    bundles = {
      old: processes.tempDir('bundle-old'),
      next: processes.tempDir('bundle-next'),
      served: processes.tempDir('bundle-served'),
    };
    const build = join(ROOT, 'installers/build-bundle.mjs');
    await run(process.execPath, [build, '--out', bundles.old, '--version', '0.9.0'], { cwd: ROOT });
    await run(process.execPath, [build, '--out', bundles.next, '--version', '0.9.1'], { cwd: ROOT });
    serve(bundles.old);
    ({ db, cp } = await startControlPlane(processes, {
      secret: 'unused-by-installed-agents',
      leaseMs: 3_000,
      env: { ROOST_AGENT_BUNDLE_DIR: bundles.served },
    }));
  }, 180_000);

  afterAll(async () => {
    for (const proc of started) if (proc.running && proc.child.pid) process.kill(-proc.child.pid, 'SIGTERM');
    await Promise.all(started.map((p) => p.exited));
    await stopControlPlane(processes, db);
  });

  it('switches to a newer bundle only once idle, restarts on it, and rolls back by hand', async () => {
    const dir = processes.tempDir('upgrade-flow');
    await applyFlow(cp.api, flow(dir));
    const token = await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', {
      labels: { group: 'upgrade' },
    });
    const prefix = processes.tempDir('upgrade-prefix');
    const agent = shell(
      'auto-upgrading agent',
      `curl -fsSL ${cp.api}/install.sh | sh -s -- --token ${token.body.token} --prefix ${prefix} --no-service --auto-upgrade`,
      // one slot: the second job can only run once the first is done, i.e. after the switch
      { ROOST_AGENT_SLOTS: '1' },
    );
    await agent.waitFor(/welcomed/, 60_000);
    expect(agent.output).toContain('agent 0.9.0 installed');
    const version = (app: string) => readFileSync(join(prefix, app, 'VERSION'), 'utf8').trim();
    const agentId = JSON.parse(readFileSync(join(prefix, 'data/agent.json'), 'utf8')).agentId as string;
    const listed = async () =>
      (await call<{ id: string; agentVersion: string }[]>(cp.api, 'GET', '/api/v1/agents')).body.find(
        (a) => a.id === agentId,
      );
    expect((await listed())?.agentVersion).toBe('0.9.0');

    // a job runs when 0.9.1 appears: fetched and verified now, switched only after the job
    const busy = await runFlow(cp.api, 'e2e.upgrade', 'upgraded', { gate: 'one' });
    await until(async () => existsSync(join(dir, 'started-one')), 'the job to start', 30_000);
    serve(bundles.next);
    await agent.waitFor(/agent 0\.9\.1 verified: draining, then switching to it/, 30_000);
    expect(version('app')).toBe('0.9.0');
    const running = await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${busy.id}`);
    expect(running.body.state.current).toBe('RUNNING');
    // draining: a second job waits for the agent instead of starting on the old version
    const queued = await runFlow(cp.api, 'e2e.upgrade', 'upgraded', { gate: 'two' });

    // the draining agent takes no new job
    const waiting = await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${queued.id}`);
    expect(waiting.body.taskRunList[0]?.attempts[0]?.agentId).toBeUndefined();
    writeFileSync(join(dir, 'one'), '');
    const done = await waitForEnd(cp.api, busy.id, 60_000);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]!.outputs?.vars).toEqual({ gate: 'one' });
    await agent.waitFor(/switched to agent 0\.9\.1 \(0\.9\.0 kept in app\.previous/, 30_000);
    // restarted by PREFIX/bin/roost-agent on the new bundle, same registration
    await agent.waitFor(/welcomed[\s\S]*welcomed/, 60_000);
    expect(version('app')).toBe('0.9.1');
    expect(version('app.previous')).toBe('0.9.0');
    await waitForExecution(cp.api, queued.id, (e) => e.taskRunList[0]?.attempts[0]?.agentId !== undefined);
    expect((await listed())?.agentVersion).toBe('0.9.1');

    // by hand, while busy: `upgrade --wait 1s` gives up and switches nothing
    await until(async () => existsSync(join(dir, 'started-two')), 'the second job to start', 30_000);
    const refused = shell('rollback while busy', `${prefix}/bin/roost-agent upgrade --rollback --wait 1s`);
    expect(await refused.exited).toBe(1);
    expect(refused.output).toContain('still holds 1 job(s) after 1 s: nothing was switched');
    expect(version('app')).toBe('0.9.1');
    // and waits for the job to end when given time
    const rollback = shell('rollback', `${prefix}/bin/roost-agent upgrade --rollback --wait 60s`);
    await rollback.waitFor(/waiting until it is idle/);
    writeFileSync(join(dir, 'two'), '');
    expect(await rollback.exited, rollback.output).toBe(0);
    expect(rollback.output).toContain('rolled back to agent 0.9.0 (0.9.1 kept in app.previous)');
    const second = await waitForEnd(cp.api, queued.id, 60_000);
    expect(second.state.current).toBe('SUCCESS');
    expect(second.taskRunList[0]!.attempts.map((a) => a.agentId)).toEqual([agentId]);
  }, 240_000);
});
