// Sets up an agent against a real broker and a fake control plane, and tears all of it down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent.ts';
import { createConsoleLogger, silentLogger } from '../logger.ts';
import type { AgentOptions } from '../options.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { FakeControlPlane, type FakeControlPlaneOptions } from './fake-control-plane.ts';

export const SECRET = 'test-secret';

export interface Harness {
  broker: TestBroker;
  cp: FakeControlPlane;
  dataDir: string;
  startAgent(overrides?: Partial<AgentOptions>): Promise<Agent>;
  teardown(): Promise<void>;
}

let agents = 0;

export async function setUpAgentTest(
  options: { controlPlane?: FakeControlPlaneOptions; websocket?: boolean } = {},
): Promise<Harness> {
  const broker = await startBroker({ secret: SECRET, websocket: options.websocket });
  const cp = await FakeControlPlane.connect(broker.url, SECRET, options.controlPlane);
  const dataDir = mkdtempSync(join(tmpdir(), 'roost-agent-'));
  const started: Agent[] = [];
  return {
    broker,
    cp,
    dataDir,
    async startAgent(overrides = {}) {
      const agent = new Agent({
        url: broker.url,
        agentId: `agent-${process.pid}-${++agents}`,
        secret: SECRET,
        name: 'test agent',
        labels: { region: 'test' },
        slots: 2,
        dataDir,
        logger: process.env.AGENT_TEST_LOG ? createConsoleLogger('test', { minimum: 'debug' }) : silentLogger,
        env: {},
        backoff: { baseMs: 20, capMs: 200, stableAfterMs: 1_000 },
        helloRetryMs: 200,
        ...overrides,
      });
      started.push(agent);
      await agent.start();
      return agent;
    },
    async teardown() {
      await Promise.all(started.map((agent) => agent.stop({ force: true })));
      await cp.close();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
