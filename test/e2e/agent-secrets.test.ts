// Local secrets: `{{ secret('NAME') }}` in a task resolves on the agent, from ROOST_SECRET_* variables,
// its --secrets-file or Kestra's SECRET_* (base64) variables, so the value never reaches the control plane; it is masked in what the task
// reports, and one job's environment does not leak into the next.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { Processes, startControlPlane, stopControlPlane } from '../support/processes.ts';

const DB_PASSWORD = 'hunter2-from-env';
const API_KEY = 'k3y-from-the-file';
const KESTRA_TOKEN = 'tok3n-kestra-style';

const FLOW = `
id: secrets
namespace: e2e
tasks:
  - id: use
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: site
    env:
      PASS: "{{ secret('DB_PASSWORD') }}"
      KEY: "{{ secret('API_KEY') }}"
      TOKEN: "{{ secret('kestra_token') }}"
    commands:
      - echo "connecting with $PASS and $KEY and $TOKEN"
      - echo '::{"outputs":{"pw":"'"$PASS"'"}}::'
      - export LEFT_BEHIND="$PASS"
  - id: next
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: site
    commands:
      - echo "PASS=\${PASS:-unset} LEFT_BEHIND=\${LEFT_BEHIND:-unset}"
      - echo "secret variables seen $(env | grep -c SECRET_)"
`;

describe('local secrets on an agent', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  let secretsFile: string;
  const secret = 'secrets-secret';

  beforeAll(async () => {
    ({ db, cp } = await startControlPlane(processes, { secret }));
    secretsFile = join(processes.tempDir('site'), 'secrets');
    writeFileSync(secretsFile, `# the site's keys\nAPI_KEY=${API_KEY}\n`);
    chmodSync(secretsFile, 0o600);
    await processes.agent({
      url: cp.mqttUrl,
      secret,
      id: 'site-1',
      labels: 'group=site',
      slots: 1,
      args: ['--secrets-file', secretsFile],
      env: { ROOST_SECRET_DB_PASSWORD: DB_PASSWORD, SECRET_KESTRA_TOKEN: btoa(KESTRA_TOKEN) },
    });
  }, 60_000);

  afterAll(async () => {
    await stopControlPlane(processes, db);
  });

  it('resolves secrets on the agent, masks them, and never sends them to the control plane', async () => {
    await applyFlow(cp.api, FLOW);
    const created = await runFlow(cp.api, 'e2e', 'secrets');
    const done = await waitForEnd(cp.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList.find((r) => r.taskId === 'use')?.outputs?.vars).toEqual({ pw: '******' });

    const logs = await call<{ taskId: string; message: string }[]>(
      cp.api,
      'GET',
      `/api/v1/logs/${created.id}`,
    );
    const messages = logs.body.map((l) => l.message);
    expect(messages).toContain('connecting with ****** and ****** and ******');
    // the next job on the same agent sees neither the first job's environment nor the agent's secrets
    expect(messages).toContain('PASS=unset LEFT_BEHIND=unset');
    expect(messages).toContain('secret variables seen 0');

    const sql = postgres(db.url!, { max: 1 });
    try {
      for (const table of ['jobs', 'logs', 'task_runs', 'executions']) {
        const rows = await sql.unsafe(
          `select count(*)::int as n from ${table} t where t::text like $1 or t::text like $2 or t::text like $3`,
          [`%${DB_PASSWORD}%`, `%${API_KEY}%`, `%${KESTRA_TOKEN}%`],
        );
        expect(rows[0]?.n, `${table} holds a secret value`).toBe(0);
      }
    } finally {
      await sql.end();
    }
    expect(cp.proc.output).not.toContain(DB_PASSWORD);
    expect(cp.proc.output).not.toContain(API_KEY);
  }, 60_000);

  it('fails a task whose secret the agent does not have, saying where to put it', async () => {
    await applyFlow(
      cp.api,
      `id: missing\nnamespace: e2e\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    workerGroup:\n      key: site\n    message: "{{ secret('NOPE') }}"\n`,
    );
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e', 'missing')).id);
    expect(done.state.current).toBe('FAILED');
    expect(done.taskRunList[0]?.attempts[0]?.error?.message).toContain('ROOST_SECRET_NOPE');
  }, 30_000);

  it('refuses to start with a secrets file that others may read', async () => {
    chmodSync(secretsFile, 0o644);
    const agent = processes.spawn(
      'agent open-secrets',
      ['agent', 'start', '--url', cp.mqttUrl, '--secrets-file', secretsFile],
      { ROOST_AGENT_SECRET: secret, ROOST_DATA_DIR: processes.tempDir('open') },
    );
    expect(await agent.exited).not.toBe(0);
    expect(agent.output).toMatch(/--secrets-file: .*\(mode 0644\); run chmod 600/);
  }, 30_000);
});
