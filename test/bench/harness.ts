// The bench's processes: one control plane and the agents each scenario needs, on free loopback ports.
// Everything started is registered here and undone in reverse order, on success, error or signal.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/processes.ts';
import { BenchApi } from './client.ts';
import { type RoostChild, spawnAgentBundle, spawnRoost, waitForHealth } from './processes.ts';

const START_TIMEOUT_MS = 60_000;
const OFFLINE_TIMEOUT_MS = 15_000;

export interface ControlPlane {
  server: RoostChild;
  api: BenchApi;
  mqttUrl: string;
  wsUrl: string;
  /** rejects with the line as soon as the control plane logs an error (pino level 50 or 60) */
  error: Promise<never>;
}

export interface BenchAgent {
  child: RoostChild;
  /** the id the agent printed in its banner, as attempts[].agentId names it */
  id: string;
  name: string;
}

export class Harness {
  interrupted = false;
  /** aborts the bench's own open requests (an open follow stream would hold the server's shutdown) */
  readonly requests = new AbortController();
  readonly #undo: (() => Promise<void> | void)[] = [];
  #cleaning: Promise<void> | undefined;
  #secret = randomBytes(16).toString('hex');
  #controlPlane: ControlPlane | undefined;

  constructor(
    /** where children's logs go */
    readonly outDir: string,
    /** extra node flags for every child (CPU profiles) */
    readonly nodeArgs: string[],
  ) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.interrupted = true;
        this.requests.abort();
        console.error(`\n${signal}: stopping the bench's processes and dropping its database`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** Registers a step to undo at cleanup (run in reverse order of registration). */
  defer(step: () => Promise<void> | void): void {
    this.#undo.push(step);
  }

  cleanup(): Promise<void> {
    this.#cleaning ??= (async () => {
      for (const step of this.#undo.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`cleanup: ${(error as Error).message}`);
        }
      }
    })();
    return this.#cleaning;
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.defer(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** `roost server standalone` on `databaseUrl`; resolves once it printed its ready line and answers. */
  async startControlPlane(databaseUrl: string): Promise<ControlPlane> {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    // a throwaway admin token per run (a control plane without authentication ignores it)
    const token = randomBytes(32).toString('hex');
    // the agent secret goes by flag as the brief's command line does; it is a throwaway per run
    const server = spawnRoost(
      'control-plane',
      [
        'server',
        'standalone',
        '--database-url',
        databaseUrl,
        '--port',
        String(httpPort),
        '--host',
        '127.0.0.1',
      ]
        .concat(['--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1', '--agent-secret', this.#secret])
        .concat(['--data-dir', this.tempDir('roost-bench-server-')]),
      join(this.outDir, 'server.log'),
      { ROOST_ADMIN_TOKEN: token },
      this.nodeArgs,
    );
    this.defer(() => server.stop());
    await server.waitFor(/Roost standalone is running\./, START_TIMEOUT_MS, 'its ready line');
    const base = `http://127.0.0.1:${httpPort}`;
    await waitForHealth(`${base}/health`, START_TIMEOUT_MS);
    const error = server.waitFor(/"level":[56]0\b/, undefined, 'an error line').then((match) => {
      throw new Error(`the control plane logged an error:\n${match.input?.slice(0, 3000)}`);
    });
    error.catch(() => {});
    this.#controlPlane = {
      server,
      api: new BenchApi(base, token),
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      wsUrl: `ws://127.0.0.1:${httpPort}/mqtt`,
      error,
    };
    return this.#controlPlane;
  }

  /**
   * `roost agent start` with its own data directory; resolves once the control plane welcomed it. With
   * `bundle`, the agent runs as installed: the `npm run build` bundle under plain node, not the sources
   * through tsx.
   */
  async startAgent(name: string, url: string, slots = 4, bundle = false): Promise<BenchAgent> {
    const args = ['start', '--url', url, '--data-dir', this.tempDir('roost-bench-agent-')];
    const spawn = bundle ? spawnAgentBundle : spawnRoost;
    const child = spawn(
      `agent-${name}`,
      [...(bundle ? [] : ['agent']), ...args, '--slots', String(slots), '--name', `bench-${name}`],
      join(this.outDir, `agent-${name}.log`),
      { ROOST_AGENT_SECRET: this.#secret },
      this.nodeArgs,
    );
    this.defer(() => child.stop());
    const [banner] = await Promise.all([
      child.waitFor(/roost agent (\S+) \(/, START_TIMEOUT_MS, 'its banner'),
      child.waitFor(/\bwelcomed\b/, START_TIMEOUT_MS, 'the control plane to welcome it'),
    ]);
    return { child, id: banner[1]!, name };
  }

  /**
   * Stops an agent and waits until the control plane has it offline, so the next scenario's jobs
   * cannot go to it.
   */
  async stopAgent(agent: BenchAgent): Promise<void> {
    const server = this.#controlPlane?.server;
    const offline = server?.waitFor(
      new RegExp(`^(?=.*${agent.id})(?=.*agent offline)`),
      OFFLINE_TIMEOUT_MS,
      `agent ${agent.id} to go offline`,
    );
    await agent.child.stop();
    await offline;
  }
}
