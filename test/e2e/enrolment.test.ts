// Enrolment end to end, with real processes: a token made with the CLI, hosts registered with
// `roost agent register`, agents that run on their own credentials; revoking one mid-task disconnects
// it, refuses it afterwards and re-dispatches its job; a credential rotates over the live connection.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
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
import { PROCESS_ADMIN_TOKEN, Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

const flow = (id: string, group: string) => `
id: ${id}
namespace: e2e.enrol
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: ${group}
    commands:
      - sleep 3
      - echo '::{"outputs":{"done":true}}::'
`;

/** Tries an MQTT connection; resolves with the broker's answer (connected, or the refusal). */
function tryConnect(url: string, clientId: string, password: string): Promise<string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId,
      username: clientId,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    client.once('connect', () => client.end(true, () => resolve('connected')));
    client.once('error', (error) => client.end(true, () => resolve(error.message)));
  });
}

describe('enrolled agents', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;

  const roost = async (name: string, args: string[]) => {
    const proc = processes.spawn(name, args, { ROOST_TOKEN: PROCESS_ADMIN_TOKEN });
    const code = await proc.exited;
    return { code, output: proc.output };
  };

  const enrol = async (token: string, dataDir: string, extra: string[] = []) =>
    roost('register', [
      'agent',
      'register',
      '--url',
      cp.api,
      '--token',
      token,
      '--data-dir',
      dataDir,
      ...extra,
    ]);

  const start = async (name: string, dataDir: string) => {
    const proc = processes.spawn(name, ['agent', 'start', '--data-dir', dataDir, '--slots', '1'], {});
    await proc.waitFor(/welcomed/);
    return proc;
  };

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, {
      secret: 'shared-secret-for-others',
      leaseMs: 5_000,
    }));
    await applyFlow(cp.api, flow('enrolled', 'plant'));
    await applyFlow(cp.api, flow('rotating', 'rotate'));
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('registers hosts with a token, runs their tasks, and revoking one mid-task re-dispatches its job', async () => {
    const created = await roost('token', [
      'agent',
      'token',
      'create',
      '--labels',
      'group=plant',
      '--max-uses',
      '2',
      '--output',
      'json',
      '--server',
      cp.api,
    ]);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.output.trim().split('\n').pop()!) as { token: string; id: string };

    const dirs = {
      a: processes.tempDir('enrol-a'),
      b: processes.tempDir('enrol-b'),
      c: processes.tempDir('enrol-c'),
    };
    const first = await enrol(token.token, dirs.a, ['--name', 'plant-a']);
    expect(first.code).toBe(0);
    const idA = /enrolled as agent (\S+)/.exec(first.output)![1]!;
    expect(statSync(join(dirs.a, 'agent.json')).mode & 0o777).toBe(0o600);
    const again = await enrol(token.token, dirs.a);
    expect(again.output).toContain(`already enrolled as agent ${idA}`);
    const idB = /enrolled as agent (\S+)/.exec(
      (await enrol(token.token, dirs.b, ['--name', 'plant-b'])).output,
    )![1]!;
    const third = await enrol(token.token, dirs.c);
    expect(third.code).toBe(1);
    expect(third.output).toContain('used up (2 of 2 uses)');

    const agents: Record<string, Awaited<ReturnType<typeof start>>> = {
      [idA]: await start('agent a', dirs.a),
      [idB]: await start('agent b', dirs.b),
    };
    const listed = await roost('list', ['agent', 'list', '--server', cp.api]);
    expect(listed.output).toContain(`${idA}\tplant-a\tonline\tgroup=plant`);

    const execution = await runFlow(cp.api, 'e2e.enrol', 'enrolled');
    const work = (e: ExecutionJson) => e.taskRunList.find((r) => r.taskId === 'work');
    const running = await waitForExecution(
      cp.api,
      execution.id,
      (e) => work(e)?.attempts[0]?.agentId !== undefined,
    );
    const victim = work(running)!.attempts[0]!.agentId!;
    const survivor = victim === idA ? idB : idA;
    const revoked = await call(cp.api, 'POST', `/api/v1/agents/${victim}/revoke`);
    expect(revoked.status).toBe(200);
    // revoking disconnects the agent at once (the issue allows 2 s), and it is refused from then on
    await agents[victim]!.waitFor(/connection lost/, 2_000);
    await agents[victim]!.waitFor(/Not authorized/);

    const done = await waitForEnd(cp.api, execution.id);
    expect(done.state.current).toBe('SUCCESS');
    expect(work(done)!.attempts.map((a) => a.agentId)).toEqual([victim, survivor]);
    const victimDir = victim === idA ? dirs.a : dirs.b;
    const { enrolment } = JSON.parse(readFileSync(join(victimDir, 'agent.json'), 'utf8'));
    expect(await tryConnect(cp.mqttUrl, victim, enrolment.credential)).toMatch(/Not authorized|Bad username/);
    const list = await call<{ id: string; revokedAt: string | null }[]>(cp.api, 'GET', '/api/v1/agents');
    expect(list.body.find((a) => a.id === victim)?.revokedAt).not.toBeNull();
  }, 120_000);

  it('refuses the shared secret and other agents credentials for an enrolled agent id', async () => {
    const token = await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', {});
    const one = await call<{ agentId: string; credential: string }>(
      cp.api,
      'POST',
      '/api/v1/agents/register',
      { token: token.body.token },
    );
    const two = await call<{ agentId: string; credential: string }>(
      cp.api,
      'POST',
      '/api/v1/agents/register',
      { token: token.body.token },
    );
    expect(await tryConnect(cp.mqttUrl, one.body.agentId, 'shared-secret-for-others')).toMatch(
      /Not authorized/,
    );
    expect(await tryConnect(cp.mqttUrl, one.body.agentId, two.body.credential)).toMatch(/Not authorized/);
    expect(await tryConnect(cp.mqttUrl, one.body.agentId, one.body.credential)).toBe('connected');
  });

  it('rotates a credential over the live connection: the agent keeps working, the old credential stops', async () => {
    const token = await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', {
      labels: { group: 'rotate' },
    });
    const dir = processes.tempDir('enrol-rotate');
    const id = /enrolled as agent (\S+)/.exec(
      (await enrol(token.body.token, dir, ['--name', 'rotating'])).output,
    )![1]!;
    const agent = await start('agent rotating', dir);
    const before = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).enrolment.credential as string;

    const rotated = await roost('rotate', ['agent', 'rotate', id, '--server', cp.api]);
    expect(rotated.code).toBe(0);
    await agent.waitFor(/credential rotated/);
    await cp.proc.waitFor(new RegExp(`${id}[\\s\\S]*credential rotated: the previous one no longer works`));
    const after = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).enrolment.credential as string;
    expect(after).not.toBe(before);
    expect(statSync(join(dir, 'agent.json')).mode & 0o777).toBe(0o600);
    expect(await tryConnect(cp.mqttUrl, `${id}`, before)).toMatch(/Not authorized/);

    // restarted, it connects with the new credential and runs a task
    await agent.kill();
    const again = await start('agent rotating again', dir);
    await again.waitFor(/welcomed/);
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e.enrol', 'rotating')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]!.attempts.at(-1)?.agentId).toBe(id);
  }, 60_000);

  it('manages tokens and agents from the CLI: list without secrets, revoke, relabel, maintenance', async () => {
    const created = await roost('token', [
      'agent',
      'token',
      'create',
      '--labels',
      'site=cli',
      '--expires',
      '2h',
      '--description',
      'from the cli',
      '--server',
      cp.api,
    ]);
    expect(created.code).toBe(0);
    const secret = /(rrt\.\S+)/.exec(created.output)![1]!;
    const id = secret.split('.')[1]!;
    const listed = await roost('token list', ['agent', 'token', 'list', '--server', cp.api]);
    expect(listed.output).toMatch(
      new RegExp(`${id}\tactive\tuses 0/∞\texpires \\S+\tsite=cli\tfrom the cli`),
    );
    expect(listed.output).not.toContain(secret.split('.')[2]!);
    expect(
      (await roost('token revoke', ['agent', 'token', 'revoke', id, '--server', cp.api])).output,
    ).toContain('revoked');
    expect((await roost('token list', ['agent', 'token', 'list', '--server', cp.api])).output).toContain(
      `${id}\trevoked`,
    );
    const badExpiry = await roost('bad', [
      'agent',
      'token',
      'create',
      '--expires',
      'soon',
      '--server',
      cp.api,
    ]);
    expect(badExpiry.code).toBe(1);
    expect(badExpiry.output).toContain('expires: "soon" is not a duration');

    const token = await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', {});
    const agent = await call<{ agentId: string }>(cp.api, 'POST', '/api/v1/agents/register', {
      token: token.body.token,
      name: 'cli-managed',
    });
    const agentId = agent.body.agentId;
    expect(
      (await roost('label', ['agent', 'label', agentId, 'site=moved,tier=2', '--server', cp.api])).output,
    ).toContain('labels site=moved,tier=2');
    expect(
      (await roost('maintenance', ['agent', 'maintenance', agentId, 'on', '--server', cp.api])).code,
    ).toBe(0);
    const list = await roost('list', ['agent', 'list', '--server', cp.api]);
    expect(list.output).toContain(`${agentId}\tcli-managed\toffline,maintenance\tsite=moved,tier=2`);
  }, 120_000);
});
