// The agent's transports beyond plain mqtt:// and ws://: TLS with a private CA (mqtts://, wss://, the
// CA made at test time with openssl) and WebSocket through an HTTP CONNECT proxy (HTTPS_PROXY, NO_PROXY).
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/index.ts';
import { applyFlow, runFlow, waitForEnd } from '../support/api.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';
import { Processes } from '../support/processes.ts';
import {
  makeCertificates,
  startTlsTerminator,
  type TestCertificates,
  type TlsTerminator,
} from '../support/tls.ts';

describe('agent transports', () => {
  const dirs = new Processes();
  let db: TestDatabase;
  let plane: InProcessPlane;
  let certificates: TestCertificates;
  let mqtts: TlsTerminator;
  let wss: TlsTerminator;
  let proxy: ConnectProxy;
  const agents: Agent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    certificates = makeCertificates(dirs.tempDir('tls'));
    mqtts = await startTlsTerminator(certificates, plane.server.mqttPort!);
    wss = await startTlsTerminator(certificates, plane.server.httpPort);
    proxy = await startConnectProxy();
  }, 60_000);

  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop({ force: true });
  });

  afterAll(async () => {
    await proxy?.close();
    await mqtts?.close();
    await wss?.close();
    await plane?.stop();
    await dirs.stopAll();
    await db?.drop();
  });

  function startAgent(id: string, url: string, extra: { ca?: string; env?: Record<string, string> } = {}) {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (message: string, fields?: Record<string, unknown>) =>
        warnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
      error: () => {},
      child: () => logger,
    };
    const agent = new Agent({
      url,
      agentId: id,
      secret: plane.secret,
      name: id,
      labels: { group: id },
      slots: 1,
      dataDir: join(dirs.tempDir(id)),
      logger,
      env: extra.env ?? {},
      ...(extra.ca ? { tls: { ca: extra.ca } } : {}),
    });
    agents.push(agent);
    return { agent, warnings };
  }

  async function runsATask(group: string): Promise<void> {
    await applyFlow(
      plane.api,
      `id: ${group}\nnamespace: test.transports\ntasks:\n  - id: hi\n    type: io.kestra.plugin.core.debug.Return\n    format: over ${group}\n    workerGroup:\n      key: ${group}\n`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'test.transports', group)).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]?.attempts[0]?.agentId).toBe(group);
  }

  it('connects over mqtts:// to a broker whose certificate a private CA signed, given that CA', async () => {
    const { agent } = startAgent('tls-tcp', `mqtts://127.0.0.1:${mqtts.port}`, { ca: certificates.ca });
    await agent.start();
    await until(async () => (await agent.status()).connected, 'the agent to connect over mqtts');
    await runsATask('tls-tcp');
  });

  it('refuses a broker certificate it cannot verify when no CA is given', async () => {
    const { agent, warnings } = startAgent('tls-untrusted', `mqtts://127.0.0.1:${mqtts.port}`);
    await agent.start();
    await until(async () => warnings.some((w) => w.includes('connection error')), 'a TLS error');
    expect(warnings.join('\n')).toMatch(/certificate|self.signed/i);
    expect((await agent.status()).connected).toBe(false);
  });

  it('connects over wss:// through the HTTPS_PROXY with a CONNECT tunnel', async () => {
    const before = proxy.tunnels;
    const { agent } = startAgent('tls-proxied', `wss://127.0.0.1:${wss.port}/mqtt`, {
      ca: certificates.ca,
      env: { HTTPS_PROXY: proxy.url },
    });
    await agent.start();
    await until(async () => (await agent.status()).connected, 'the agent to connect through the proxy');
    expect(proxy.tunnels).toBe(before + 1);
    await runsATask('tls-proxied');
  });

  it('goes around the proxy for a host that NO_PROXY lists', async () => {
    const before = proxy.tunnels;
    const { agent } = startAgent('tls-direct', `wss://localhost:${wss.port}/mqtt`, {
      ca: certificates.ca,
      env: { https_proxy: proxy.url, NO_PROXY: 'example.org,localhost' },
    });
    await agent.start();
    await until(async () => (await agent.status()).connected, 'the agent to connect directly');
    expect(proxy.tunnels).toBe(before);
  });
});
