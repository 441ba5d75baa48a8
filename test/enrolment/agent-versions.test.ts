// The range of agent versions a control plane accepts: parsed with errors naming the setting, advertised
// in Welcome, and an agent outside it is told so (Rejected) and gets no work.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/index.ts';
import { defaultConfig } from '../../control-plane/config.ts';
import { silentLogger } from '../../control-plane/logger.ts';
import { startServer } from '../../control-plane/server.ts';
import { parseVersionRange, versionInRange } from '../../protocol/index.ts';
import { call, useToken } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/processes.ts';

describe('agent version ranges', () => {
  it('parses open and closed ranges and refuses others naming the setting', () => {
    expect(parseVersionRange('0.1.0..', 'X')).toEqual({ min: '0.1.0' });
    expect(parseVersionRange('..2.0.0', 'X')).toEqual({ max: '2.0.0' });
    expect(parseVersionRange('0.2.0..0.9.10', 'X')).toEqual({ min: '0.2.0', max: '0.9.10' });
    expect(parseVersionRange('1.2.3', 'X')).toEqual({ min: '1.2.3', max: '1.2.3' });
    expect(() => parseVersionRange('latest', 'ROOST_AGENT_VERSIONS')).toThrow(
      /ROOST_AGENT_VERSIONS: "latest"/,
    );
    expect(() => parseVersionRange('2.0.0..1.0.0', 'X')).toThrow(/empty/);
    expect(versionInRange('0.10.0', { min: '0.9.0' })).toBe(true);
    expect(versionInRange('0.8.9', { min: '0.9.0' })).toBe(false);
    expect(versionInRange('1.0.0', { max: '0.9.99' })).toBe(false);
    expect(versionInRange('banana', { min: '0.1.0' })).toBe(false);
  });

  describe('on a control plane that accepts only 9.0.0 and later', () => {
    let db: TestDatabase;
    const dataDir = mkdtempSync(join(tmpdir(), 'roost-versions-'));
    const stops: (() => Promise<void>)[] = [];

    afterAll(async () => {
      for (const stop of stops.reverse()) await stop();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('tells an older agent so, and the agent stops instead of taking work', async () => {
      db = await createTestDatabase();
      const server = await startServer({
        mode: 'standalone',
        logger: silentLogger(),
        config: {
          ...defaultConfig('standalone'),
          databaseUrl: db.url,
          dataDir,
          host: '127.0.0.1',
          port: await freePort(),
          mqttPort: await freePort(),
          mqttHost: '127.0.0.1',
          agentSecret: 'versions-secret',
          agentVersions: '9.0.0..',
          adminToken: 'versions-admin-token-0123456789',
        },
      });
      stops.push(() => server.stop());
      const errors: string[] = [];
      const logger = {
        debug: () => {},
        info: () => {},
        warn: () => {},
        error: (message: string, fields?: Record<string, unknown>) =>
          errors.push(`${message} ${JSON.stringify(fields)}`),
        child: () => logger,
      };
      const agent = new Agent({
        url: `mqtt://127.0.0.1:${server.mqttPort}`,
        agentId: 'old-agent',
        secret: 'versions-secret',
        name: 'old',
        labels: {},
        slots: 1,
        dataDir: join(dataDir, 'agent'),
        logger,
      });
      stops.push(() => agent.stop({ force: true }));
      await agent.start();
      await agent.whenStopped();
      expect(errors.join('\n')).toContain(
        'agent version 0.1.0 is outside the range this control plane accepts (9.0.0..)',
      );
      const api = `http://127.0.0.1:${server.httpPort}`;
      useToken(api, 'versions-admin-token-0123456789');
      const agents = await call<{ id: string }[]>(api, 'GET', '/api/v1/agents');
      expect(agents.body.find((a) => a.id === 'old-agent')).toBeUndefined();
    }, 60_000);
  });
});
