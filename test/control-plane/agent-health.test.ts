// The agent's local health endpoint and `roost agent status`, with an agent started by its CLI entry.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentMain } from '../../agent/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';
import { freePort } from '../support/processes.ts';

describe('agent health and status', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  const dataDir = mkdtempSync(join(tmpdir(), 'roost-health-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /health and /status while connected, reports through roost agent status, and closes on stop', async () => {
    const port = await freePort();
    const signals = new EventEmitter();
    const lines: string[] = [];
    const quiet = () => {};
    const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, child: () => logger };
    const running = agentMain(
      [
        'start',
        '--url',
        plane.mqttUrl,
        '--agent-id',
        'healthy-1',
        '--slots',
        '3',
        '--data-dir',
        dataDir,
        '--health-port',
        String(port),
      ],
      { env: { ROOST_AGENT_SECRET: plane.secret }, out: (l) => lines.push(l), signals, logger },
    );
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200,
      'health to be UP',
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toMatchObject({
      status: 'UP',
      connected: true,
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/status`)).json()).toMatchObject({
      slots: 3,
      slotsInUse: 0,
      inbox: 0,
      outbox: 0,
    });
    expect(lines.join('\n')).toContain(`health on http://127.0.0.1:${port}/health`);

    const status: string[] = [];
    await agentMain(['status', '--health-port', String(port)], { out: (l) => status.push(l) });
    expect(status.join('\n')).toMatch(/state running, connected .*\n.*slots in use 0 of 3/);

    signals.emit('SIGTERM', 'SIGTERM');
    await running;
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    const offline: string[] = [];
    await agentMain(['status', '--data-dir', dataDir], { out: (l) => offline.push(l), env: {} });
    expect(offline.join('\n')).toContain('jobs held 0; outbox 0');
  });
});
