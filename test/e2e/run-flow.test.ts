// End to end: a control-plane process and a separate agent process run a 3-task flow over MQTT/TCP and
// over MQTT/WebSocket; states, outputs and logs are checked through the REST API.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

const FLOW = `
id: three-tasks
namespace: e2e
inputs:
  - id: who
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.who }} in {{ flow.namespace }}"
  - id: wrap
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: made
        type: io.kestra.plugin.core.debug.Return
        format: "{{ execution.id }}"
      - id: shell
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo "made {{ outputs.made.value }}"
          - echo "to stderr" >&2
outputs:
  - id: made
    type: STRING
    value: "{{ outputs.made.value }}"
`;

describe('a flow run end to end on a separate agent process', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const secret = 'e2e-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret }));
    await applyFlow(cp.api, FLOW);
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  for (const transport of ['tcp', 'websocket'] as const) {
    it(`runs three tasks over MQTT/${transport} and reports states, outputs and logs`, async () => {
      const agent = await processes.agent({
        url: transport === 'tcp' ? cp.mqttUrl : cp.wsUrl,
        secret,
        id: `agent-${transport}`,
      });
      const created = await runFlow(cp.api, 'e2e', 'three-tasks', { who: transport });
      const done = await waitForEnd(cp.api, created.id);

      expect(done.state.current).toBe('SUCCESS');
      expect(done.state.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
      const runs = Object.fromEntries(done.taskRunList.map((r) => [r.taskId, r]));
      expect(Object.keys(runs).sort()).toEqual(['hello', 'made', 'shell', 'wrap']);
      expect(Object.values(runs).every((r) => r.state.current === 'SUCCESS')).toBe(true);
      expect(runs.made?.outputs).toEqual({ value: created.id });
      expect(runs.shell?.outputs?.exitCode).toBe(0);
      expect(runs.made?.attempts.map((a) => a.agentId)).toEqual([`agent-${transport}`]);
      expect(done.outputs).toEqual({ made: created.id });

      const logs = await call<{ taskId: string; level: string; message: string }[]>(
        cp.api,
        'GET',
        `/api/v1/logs/${created.id}`,
      );
      const lines = logs.body.map((l) => `${l.taskId} ${l.level} ${l.message}`);
      expect(lines).toContain(`hello INFO hello ${transport} in e2e`);
      expect(lines).toContain(`shell INFO made ${created.id}`);
      expect(lines).toContain('shell ERROR to stderr');
      await agent.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    }, 60_000);
  }

  it('applies flows and follows a run from the CLI, exiting non-zero when the execution fails', async () => {
    await processes.agent({ url: cp.mqttUrl, secret, id: 'agent-cli' });
    const dir = processes.tempDir('cli');
    const file = `${dir}/fails.yaml`;
    writeFileSync(
      file,
      'id: fails\nnamespace: e2e\ntasks:\n  - id: boom\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands:\n      - exit 3\n',
    );
    const apply = processes.spawn('cli apply', ['flow', 'apply', file, '--server', cp.api], {
      ROOST_TOKEN: cp.adminToken,
    });
    expect(await apply.exited).toBe(0);
    expect(apply.output).toContain('e2e.fails revision 1');

    const ok = processes.spawn(
      'cli run ok',
      ['execution', 'run', 'e2e', 'three-tasks', '--input', 'who=cli', '--wait', '--server', cp.api],
      { ROOST_TOKEN: cp.adminToken },
    );
    expect(await ok.exited).toBe(0);
    expect(ok.output).toMatch(/ended SUCCESS/);

    const failed = processes.spawn(
      'cli run fails',
      ['execution', 'run', 'e2e', 'fails', '--wait', '--server', cp.api],
      { ROOST_TOKEN: cp.adminToken },
    );
    expect(await failed.exited).toBe(1);
    expect(failed.output).toMatch(/boom: FAILED/);
    expect(failed.output).toMatch(/ended FAILED/);

    const missing = processes.spawn(
      'cli run missing',
      ['execution', 'run', 'e2e', 'nope', '--server', cp.api],
      { ROOST_TOKEN: cp.adminToken },
    );
    expect(await missing.exited).toBe(1);
    expect(missing.output).toContain('flow e2e.nope does not exist');
  }, 60_000);
});
