// An agent's lifecycle beyond start and drain: --once (ephemeral) and maintenance mode, set from the
// control plane's API and locally through the agent's health port.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, type ExecutionJson, runFlow, waitForEnd } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { until } from '../support/in-process.ts';
import { freePort, Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

function flow(id: string, group: string, maxWait = ''): string {
  return `id: ${id}
namespace: e2e
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: ${group}${maxWait ? `\n      maxWait: ${maxWait}` : ''}
    commands:
      - echo "working on $(hostname)"
`;
}

describe('agent lifecycle', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const secret = 'lifecycle-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret, leaseMs: 3_000 }));
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('with --once runs one job, delivers its result, and exits 0', async () => {
    await applyFlow(cp.api, flow('once', 'ephemeral'));
    const agent = await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'ephemeral-1',
      labels: 'group=ephemeral',
      args: ['--once'],
    });
    const first = await runFlow(cp.api, 'e2e', 'once');
    const second = await runFlow(cp.api, 'e2e', 'once');
    const code = await agent.exited;
    expect(code, agent.output).toBe(0);
    // it is gone: the result of the one it ran must already be recorded, and the other execution was
    // left for others (under load the executor may queue the second execution's job first: either will do)
    const executions = await Promise.all(
      [first, second].map(
        async (e) => (await call<ExecutionJson>(cp.api, 'GET', `/api/v1/executions/${e.id}`)).body,
      ),
    );
    const agentsOf = (e: ExecutionJson) => e.taskRunList.flatMap((r) => r.attempts.map((a) => a.agentId));
    const ran = executions.filter((e) => agentsOf(e).includes('ephemeral-1'));
    expect(ran, 'executions ephemeral-1 took part in').toHaveLength(1);
    expect(ran[0]?.state.current).toBe('SUCCESS');
    expect(agentsOf(ran[0]!)).toEqual(['ephemeral-1']);
    const waiting = executions.find((e) => e !== ran[0])!;
    expect(['CREATED', 'RUNNING']).toContain(waiting.state.current);
  }, 60_000);

  it('takes no new job in maintenance mode set from the control plane, and takes jobs again after', async () => {
    const healthPort = await freePort();
    const agent = await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'kept-1',
      labels: 'group=kept',
      args: ['--health-port', String(healthPort)],
    });
    await applyFlow(cp.api, flow('kept', 'kept', 'PT1S'));
    const refused = await call(cp.api, 'POST', '/api/v1/agents/kept-1/maintenance', { enabled: 'yes' });
    expect(refused.status).toBe(400);
    const unknown = await call(cp.api, 'POST', '/api/v1/agents/nobody/maintenance', { enabled: true });
    expect(unknown.status).toBe(404);

    const on = await call(cp.api, 'POST', '/api/v1/agents/kept-1/maintenance', { enabled: true });
    expect(on).toMatchObject({ status: 200, body: { id: 'kept-1', maintenance: true } });
    await agent.waitFor(/maintenance mode on, set by the control plane/);
    const status = processes.spawn('status', ['agent', 'status', '--health-port', String(healthPort)], {});
    expect(await status.exited).toBe(0);
    expect(status.output).toContain('in maintenance (takes no new job)');
    // the only agent of the group is in maintenance: the task waits for one, then fails after maxWait
    const idle = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'kept')).id);
    expect(idle.state.current).toBe('FAILED');
    expect(idle.taskRunList[0]?.attempts[0]?.error?.message).toContain("no agent of worker group 'kept'");

    await call(cp.api, 'POST', '/api/v1/agents/kept-1/maintenance', { enabled: false });
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'kept')).id);
    expect(done.state.current).toBe('SUCCESS');
  }, 60_000);

  it('takes no new job in maintenance mode set locally with roost agent maintenance on', async () => {
    const healthPort = await freePort();
    await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'local-1',
      labels: 'group=local',
      args: ['--health-port', String(healthPort)],
    });
    await applyFlow(cp.api, flow('local', 'local', 'PT1S'));
    const on = processes.spawn(
      'maintenance',
      ['agent', 'maintenance', 'on', '--health-port', String(healthPort)],
      {},
    );
    expect(await on.exited).toBe(0);
    await until(async () => {
      const agents = await call<{ id: string; maintenance: boolean }[]>(cp.api, 'GET', '/api/v1/agents');
      return agents.body.find((a) => a.id === 'local-1')?.maintenance === true;
    }, 'the control plane to hear of the maintenance mode');
    const idle = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'local')).id);
    expect(idle.state.current).toBe('FAILED');

    const off = processes.spawn(
      'maintenance',
      ['agent', 'maintenance', 'off', '--health-port', String(healthPort)],
      {},
    );
    expect(await off.exited).toBe(0);
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'local')).id);
    expect(done.state.current).toBe('SUCCESS');
  }, 60_000);

  it('hands a job its before-job hook refuses back to the control plane, which gives it to another agent', async () => {
    const dir = processes.tempDir('hooks');
    await applyFlow(cp.api, flow('picky', 'picky'));
    await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'picky-1',
      labels: 'group=picky',
      args: ['--hook-before-job', `echo "$ROOST_TASK_ID $ROOST_JOB_ATTEMPT" >> ${dir}/refused; exit 3`],
    });
    const created = await runFlow(cp.api, 'e2e', 'picky');
    await until(async () => existsSync(join(dir, 'refused')), 'the hook to refuse the job');
    await processes.agent({ url: cp.mqttUrl, secret, id: 'picky-2', labels: 'group=picky' });
    const done = await waitForEnd(cp.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    const attempts = done.taskRunList[0]!.attempts;
    expect(attempts.map((a) => [a.agentId, a.state.current])).toEqual([
      ['picky-1', 'FAILED'],
      ['picky-2', 'SUCCESS'],
    ]);
    expect(attempts[0]?.error?.code).toBe('ROOST_JOB_REFUSED');
    expect(attempts[0]?.error?.message).toContain('exited with code 3');
    expect(readFileSync(join(dir, 'refused'), 'utf8')).toBe('work 1\n');
  }, 60_000);

  it('runs the start, after-job and stop hooks with the agent and job in their environment', async () => {
    const dir = processes.tempDir('hooks');
    const log = join(dir, 'hooks.log');
    await applyFlow(cp.api, flow('hooked', 'hooked'));
    const agent = await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'hooked-1',
      labels: 'group=hooked',
      args: [
        '--hook-start',
        `echo "$ROOST_HOOK $ROOST_AGENT_ID" >> ${log}`,
        '--hook-after-job',
        `echo "$ROOST_HOOK $ROOST_TASK_ID $ROOST_TASK_TYPE $ROOST_JOB_STATE" >> ${log}`,
      ],
      env: { ROOST_HOOK_STOP: `echo "$ROOST_HOOK" >> ${log}` },
    });
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'hooked')).id);
    expect(done.state.current).toBe('SUCCESS');
    await until(async () => readFileSync(log, 'utf8').includes('after-job'), 'the after-job hook');
    await agent.kill('SIGTERM');
    expect(readFileSync(log, 'utf8').split('\n')).toEqual([
      'start hooked-1',
      'after-job work io.kestra.plugin.scripts.shell.Commands SUCCESS',
      'stop',
      '',
    ]);
  }, 60_000);

  it('does not start when its start hook fails, and says why', async () => {
    const agent = processes.spawn(
      'agent failing-start',
      ['agent', 'start', '--url', cp.mqttUrl, '--agent-id', 'nostart-1', '--hook-start', 'exit 4'],
      { ROOST_AGENT_SECRET: secret, ROOST_DATA_DIR: processes.tempDir('nostart') },
    );
    expect(await agent.exited).not.toBe(0);
    expect(agent.output).toMatch(/start hook exited with code 4/);
  }, 30_000);
});
