// A whole control plane in the test process (standalone mode against this file's database), and
// in-process agents connected to it over real MQTT, for tests that need no separate processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agent/index.ts';
import { defaultConfig } from '../../control-plane/config.ts';
import { silentLogger } from '../../control-plane/logger.ts';
import { type RunningServer, startServer } from '../../control-plane/server.ts';
import { useToken } from './api.ts';
import { freePort } from './processes.ts';

/** The admin token of control planes started by the test helpers. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface InProcessPlane {
  server: RunningServer;
  api: string;
  mqttUrl: string;
  secret: string;
  /** an admin API token (calls through test/support/api.ts carry it already) */
  adminToken: string;
  /** an agent with those labels and slots; `ready`: slots of jobs held ready (default: as many as slots) */
  agent(id: string, labels?: Record<string, string>, slots?: number, ready?: number): Promise<Agent>;
  stop(): Promise<void>;
}

export async function startInProcess(
  databaseUrl: string,
  options: {
    leaseMs?: number;
    tls?: { certFile: string; keyFile: string };
    /** the environment of the control plane and its agents (ENV_*, SECRET_*); default: none */
    env?: Record<string, string>;
    /** the server's `globals` */
    globals?: Record<string, unknown>;
  } = {},
): Promise<InProcessPlane> {
  const dataDir = mkdtempSync(join(tmpdir(), 'roost-inproc-'));
  const secret = 'in-process-secret';
  const server = await startServer({
    mode: 'standalone',
    logger: silentLogger(),
    env: options.env ?? {},
    config: {
      ...defaultConfig('standalone'),
      databaseUrl,
      dataDir,
      host: '127.0.0.1',
      port: await freePort(),
      mqttPort: await freePort(),
      mqttHost: '127.0.0.1',
      agentSecret: secret,
      adminToken: TEST_ADMIN_TOKEN,
      tlsCert: options.tls?.certFile,
      tlsKey: options.tls?.keyFile,
      leaseMs: options.leaseMs ?? 30_000,
      globals: options.globals ?? {},
    },
  });
  const api = `${options.tls ? 'https' : 'http'}://127.0.0.1:${server.httpPort}`;
  useToken(api, TEST_ADMIN_TOKEN);
  const agents: Agent[] = [];
  const mqttUrl = `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${server.mqttPort}`;
  return {
    server,
    api,
    mqttUrl,
    secret,
    adminToken: TEST_ADMIN_TOKEN,
    async agent(id, labels = {}, slots = 2, ready = undefined) {
      const agent = new Agent({
        url: mqttUrl,
        ...(options.tls ? { tls: { ca: readFileSync(options.tls.certFile, 'utf8') } } : {}),
        agentId: id,
        secret,
        serverUrl: `http://127.0.0.1:${server.httpPort}`,
        name: id,
        labels,
        slots,
        ...(ready === undefined ? {} : { ready }),
        dataDir: join(dataDir, id),
        logger: quietAgentLogger,
        ...(options.env ? { env: options.env } : {}),
      });
      agents.push(agent);
      await agent.start();
      await until(async () => (await agent.status()).connected, `agent ${id} to be welcomed`);
      return agent;
    },
    async stop() {
      for (const agent of agents) await agent.stop({ force: true });
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const quiet = () => {};
const quietAgentLogger = {
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: quiet,
  child: () => quietAgentLogger,
};

/** Waits for a condition that has no event to wait on, checking every 20 ms, for at most 10 s. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
