// `roost server local`: embedded PGlite, broker and agent in one process; it stops cleanly on Ctrl-C
// and keeps flows and executions across a restart. It starts with authentication off (and says so),
// and turns it on once an admin token is configured.
import { afterAll, describe, expect, it } from 'vitest';
import { applyFlow, call, type ExecutionJson, runFlow, useToken, waitForEnd } from '../support/api.ts';
import { freePort, Processes } from '../support/processes.ts';

const FLOW = `
id: persisted
namespace: local
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "kept {{ flow.id }}"
`;

describe('roost server local', () => {
  const processes = new Processes();
  afterAll(async () => {
    await processes.stopAll();
  });

  it('runs a flow on its own agent, stops on SIGINT, and keeps flows and executions when started again', async () => {
    const dataDir = processes.tempDir('local');
    const start = async (env: Record<string, string> = {}) => {
      const [port, mqttPort] = [await freePort(), await freePort()];
      const proc = processes.spawn(
        'local',
        ['server', 'local', '--port', String(port), '--mqtt-port', String(mqttPort)],
        {
          ROOST_DATA_DIR: dataDir,
          ...env,
        },
      );
      // the banner's lines may come in more than one chunk: wait for its last line
      await proc.waitFor(/ agent secret: /, 60_000);
      await proc.waitFor(/welcomed/);
      return { proc, api: `http://127.0.0.1:${port}` };
    };

    const first = await start();
    await first.proc.waitFor(/set an admin token/);
    expect(first.proc.output).toContain('AUTHENTICATION IS OFF');
    expect(first.proc.output).toContain('listens on 127.0.0.1 only');
    await applyFlow(first.api, FLOW);
    const created = await runFlow(first.api, 'local', 'persisted');
    const done = await waitForEnd(first.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]?.outputs).toEqual({ value: 'kept persisted' });
    first.proc.child.kill('SIGINT');
    expect(await first.proc.exited).toBe(0);
    expect(first.proc.output).toContain('Stopped.');

    const adminToken = 'local-admin-token-0123456789';
    const second = await start({ ROOST_ADMIN_TOKEN: adminToken });
    expect(second.proc.output).not.toContain('AUTHENTICATION IS OFF');
    expect((await call(second.api, 'GET', '/api/v1/flows/local/persisted')).status).toBe(401);
    useToken(second.api, adminToken);
    const flow = await call<{ revision: number; source: string }>(
      second.api,
      'GET',
      '/api/v1/flows/local/persisted',
    );
    expect(flow.status).toBe(200);
    expect(flow.body.source).toBe(FLOW);
    const again = await call<ExecutionJson>(second.api, 'GET', `/api/v1/executions/${created.id}`);
    expect(again.body.state.current).toBe('SUCCESS');
    expect(again.body.taskRunList).toHaveLength(1);
    second.proc.child.kill('SIGINT');
    expect(await second.proc.exited).toBe(0);
  }, 120_000);
});
