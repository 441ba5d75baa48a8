// How the servers start with respect to authentication: `standalone` always authenticates and prints a
// first admin token once; `local` runs with authentication off only on loopback, and says so loudly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort, Processes } from '../support/processes.ts';

describe('authentication modes', () => {
  const processes = new Processes();
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });

  afterAll(async () => {
    expect(await processes.stopAll()).toEqual([]);
    await db?.drop();
  });

  it('refuses to run local with authentication off on an address other than loopback', async () => {
    const proc = processes.spawn('local 0.0.0.0', ['server', 'local', '--host', '0.0.0.0'], {
      ROOST_DATA_DIR: processes.tempDir('open'),
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('with authentication off, roost server local listens on 127.0.0.1 only');
    expect(proc.output).toContain('--admin-token');
  });

  it('refuses to run standalone with authentication off', async () => {
    const proc = processes.spawn('standalone off', ['server', 'standalone', '--auth', 'off'], {
      ROOST_DATABASE_URL: db.url!,
      ROOST_AGENT_SECRET: 'whatever-secret',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('always authenticates');
  });

  it('prints a first admin token once on a first standalone start, and that token works', async () => {
    const start = async () => {
      const port = await freePort();
      const proc = processes.spawn(
        'standalone',
        ['server', 'standalone', '--host', '127.0.0.1', '--port', String(port), '--mqtt-port', '0'],
        {
          ROOST_DATABASE_URL: db.url!,
          ROOST_AGENT_SECRET: 'whatever-secret',
          ROOST_DATA_DIR: processes.tempDir('sa'),
        },
      );
      await proc.waitFor(/Press Ctrl-C to stop/, 60_000);
      return { proc, api: `http://127.0.0.1:${port}` };
    };
    const first = await start();
    expect(first.proc.output).toContain('authentication:   on');
    const token = first.proc.output.match(
      /First admin API token \(shown this once; store it now\): (\S+)/,
    )?.[1];
    expect(token).toMatch(/^roost_/);
    expect((await fetch(`${first.api}/api/v1/flows/search`)).status).toBe(401);
    const listed = await fetch(`${first.api}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject([{ name: 'admin (first start)', role: 'admin' }]);
    first.proc.child.kill('SIGINT');
    expect(await first.proc.exited).toBe(0);

    const second = await start();
    expect(second.proc.output).not.toContain('First admin API token');
    expect(
      (await fetch(`${second.api}/api/v1/flows/search`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(200);
    second.proc.child.kill('SIGINT');
    expect(await second.proc.exited).toBe(0);
  }, 120_000);
});
