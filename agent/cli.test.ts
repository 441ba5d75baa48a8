import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentMain } from './cli.ts';
import { resolveAgentConfig } from './config.ts';
import { identityPath, loadOrCreateIdentity } from './identity.ts';
import { silentLogger } from './logger.ts';
import { registrationToken } from './register.ts';
import { startBroker, type TestBroker } from './test-support/broker.ts';
import { FakeControlPlane } from './test-support/fake-control-plane.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'roost-cli-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const env = { ROOST_AGENT_SECRET: 's3cret' };

describe('roost agent start configuration', () => {
  it('takes flags over environment variables', () => {
    const config = resolveAgentConfig(
      ['--url', 'mqtt://cp:1883', '--labels', 'region=eu, gpu=true', '--slots', '3'],
      {
        ...env,
        ROOST_URL: 'mqtt://other:1883',
        ROOST_AGENT_SLOTS: '9',
        ROOST_AGENT_NAME: 'edge-1',
        ROOST_DATA_DIR: '/var/lib/roost-agent',
      },
    );
    expect(config).toMatchObject({
      url: 'mqtt://cp:1883',
      labels: { region: 'eu', gpu: 'true' },
      slots: 3,
      name: 'edge-1',
      dataDir: '/var/lib/roost-agent',
      secret: 's3cret',
      agentId: undefined,
    });
  });

  it('falls back to the environment, then to the CPU count and ~/.roost-agent', () => {
    const config = resolveAgentConfig([], {
      ...env,
      ROOST_URL: 'wss://cp.example/mqtt',
      ROOST_AGENT_LABELS: 'site=plant-3',
    });
    expect(config.url).toBe('wss://cp.example/mqtt');
    expect(config.labels).toEqual({ site: 'plant-3' });
    expect(config.slots).toBeGreaterThanOrEqual(1);
    expect(config.dataDir).toMatch(/\.roost-agent$/);
  });

  it('refuses a missing secret with a clear error', () => {
    expect(() => resolveAgentConfig(['--url', 'mqtt://cp'], {})).toThrow(/ROOST_AGENT_SECRET/);
  });

  it.each([
    [['--url', 'mqtt://cp', '--slots', 'many'], /--slots/],
    [['--url', 'mqtt://cp', '--labels', 'novalue'], /--labels/],
    [['--url', 'http://cp'], /--url/],
    [['--url', 'mqtt://cp', '--agent-id', 'a/b'], /--agent-id/],
    [['--url', 'mqtt://cp', '--colour', 'red'], /--colour/],
    [[], /--url/],
  ])('names the bad flag in a ROOST_CONFIG error for %j', (argv, flag) => {
    expect(() => resolveAgentConfig(argv, env)).toThrow(flag);
    expect(() => resolveAgentConfig(argv, env)).toThrow(expect.objectContaining({ code: 'ROOST_CONFIG' }));
  });

  it('holds jobs ready beyond --slots as many as --slots unless told, and none with --once', () => {
    const url = ['--url', 'mqtt://cp'];
    expect(resolveAgentConfig([...url, '--slots', '4'], env).ready).toBeUndefined();
    expect(resolveAgentConfig([...url, '--ready', '0'], env).ready).toBe(0);
    expect(resolveAgentConfig(url, { ...env, ROOST_AGENT_READY: '6' }).ready).toBe(6);
    expect(resolveAgentConfig([...url, '--once', '--ready', '6'], env)).toMatchObject({ slots: 1, ready: 0 });
    expect(() => resolveAgentConfig([...url, '--ready', 'all'], env)).toThrow(
      /--ready: "all" is not a whole/,
    );
    expect(() => resolveAgentConfig(url, { ...env, ROOST_AGENT_READY: 'lots' })).toThrow(/ROOST_AGENT_READY/);
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(() => resolveAgentConfig(['--url', 'mqtt://cp'], { ...env, ROOST_AGENT_SLOTS: '0' })).toThrow(
      /ROOST_AGENT_SLOTS/,
    );
  });
});

describe('roost agent register --token', () => {
  it('takes the flag, then ROOST_REGISTRATION_TOKEN, then ROOST_TOKEN only when it holds a registration token', () => {
    const env = { ROOST_REGISTRATION_TOKEN: 'rrt.b.2', ROOST_TOKEN: 'rrt.c.3' };
    expect(registrationToken('rrt.a.1', env)).toBe('rrt.a.1');
    expect(registrationToken(undefined, env)).toBe('rrt.b.2');
    expect(registrationToken(undefined, { ROOST_TOKEN: 'rrt.c.3' })).toBe('rrt.c.3');
  });

  it("says why when ROOST_TOKEN holds the CLI's API token, and asks for one when there is none", () => {
    expect(() => registrationToken(undefined, { ROOST_TOKEN: 'an-api-token' })).toThrow(
      /ROOST_TOKEN holds an API token for the CLI, not a registration token .*ROOST_REGISTRATION_TOKEN/,
    );
    expect(() => registrationToken(undefined, {})).toThrow(/^--token is required\n/);
  });
});

describe('--ca-file', () => {
  it('reads the certificates to trust, and refuses a file it cannot read or that holds none', () => {
    const dir = tempDir();
    const ca = join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(ca, pem);
    expect(resolveAgentConfig(['--url', 'mqtts://cp', '--ca-file', ca], env).tls?.ca).toBe(pem);
    expect(() =>
      resolveAgentConfig(['--url', 'mqtts://cp', '--ca-file', join(dir, 'none.pem')], env),
    ).toThrow(/--ca-file: cannot read .*ENOENT/);
    writeFileSync(join(dir, 'key.pem'), 'not a certificate');
    expect(() =>
      resolveAgentConfig(['--url', 'mqtts://cp'], { ...env, ROOST_CA_FILE: join(dir, 'key.pem') }),
    ).toThrow(/ROOST_CA_FILE: .* holds no PEM certificate/);
  });
});

describe('agent identity', () => {
  it('generates an agent id once, keeps it in agent.json with mode 0600 and returns it on later starts', async () => {
    const dataDir = join(tempDir(), 'nested');
    const first = await loadOrCreateIdentity(dataDir);
    const again = await loadOrCreateIdentity(dataDir);
    expect(again.agentId).toBe(first.agentId);
    expect(statSync(identityPath(dataDir)).mode & 0o777).toBe(0o600);
  });
});

describe('roost agent start', () => {
  let broker: TestBroker | undefined;
  let cp: FakeControlPlane | undefined;
  afterEach(async () => {
    await cp?.close();
    await broker?.close();
  });

  it('connects with its stored id, drains on the first signal and returns', async () => {
    broker = await startBroker({ secret: 's3cret' });
    cp = await FakeControlPlane.connect(broker.url, 's3cret');
    const dataDir = tempDir();
    const { agentId } = await loadOrCreateIdentity(dataDir);
    const signals = new EventEmitter();
    const lines: string[] = [];
    const running = agentMain(['start', '--url', broker.url, '--data-dir', dataDir, '--slots', '1'], {
      env,
      signals,
      out: (line) => lines.push(line),
      logger: silentLogger,
    });
    const hello = await cp.waitFor('hello');
    expect(hello).toMatchObject({ agentId, slots: 1 });
    signals.emit('SIGTERM', 'SIGTERM');
    await running;
    expect(lines[0]).toContain(`roost agent ${agentId}`);
    expect(lines[0]).toContain(broker.url);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('rejects an unknown command', async () => {
    await expect(agentMain(['frobnicate'])).rejects.toMatchObject({ code: 'ROOST_CONFIG' });
  });
});
