// Real child processes for end-to-end tests: the control plane and agents, on free loopback ports.
// Every process started here is killed by `stopAll`, and a test fails if one is left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useToken } from './api.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

const ROOST = resolve(import.meta.dirname, '../../bin/roost.mjs');

/** The admin token of control-plane processes started here (calls through api.ts carry it). */
export const PROCESS_ADMIN_TOKEN = 'process-admin-token-0123456789';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export class RoostProcess {
  output = '';
  private readonly waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const waiter of [...this.waiters]) {
        const match = this.output.match(waiter.pattern);
        if (match) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((ok) => child.once('exit', (code) => ok(code)));
  }

  /** Resolves when the output (so far or later) matches; rejects after `timeoutMs` or if the process exits. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const match = this.output.match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms\n${this.output}`)),
        timeoutMs,
      );
      const waiter = {
        pattern,
        resolve: (m: RegExpMatchArray) => {
          clearTimeout(timer);
          ok(m);
        },
      };
      this.waiters.push(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        fail(new Error(`${this.name} exited (${code}) before ${pattern}\n${this.output}`));
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

export class Processes {
  private readonly all: RoostProcess[] = [];
  private readonly dirs: string[] = [];

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `roost-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Runs `roost ...args`; `input`, when given, is written to its standard input. */
  spawn(name: string, args: string[], env: Record<string, string>, input?: string): RoostProcess {
    const child = spawn(process.execPath, [ROOST, ...args], {
      env: { ...process.env, ROOST_LOG_FORMAT: 'pretty', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin?.end(input);
    const proc = new RoostProcess(name, child);
    this.all.push(proc);
    return proc;
  }

  /** A control plane (`server standalone`) on free ports against `databaseUrl`. */
  async controlPlane(options: {
    databaseUrl: string;
    secret: string;
    leaseMs?: number;
    offlineGraceMs?: number;
    /** more environment (ROOST_AGENT_BUNDLE_DIR, ...) */
    env?: Record<string, string>;
  }) {
    const [port, mqttPort] = [await freePort(), await freePort()];
    const proc = this.spawn(
      'control-plane',
      [
        'server',
        'standalone',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--mqtt-port',
        String(mqttPort),
        '--mqtt-host',
        '127.0.0.1',
      ],
      {
        ROOST_DATABASE_URL: options.databaseUrl,
        ROOST_AGENT_SECRET: options.secret,
        ROOST_ADMIN_TOKEN: PROCESS_ADMIN_TOKEN,
        ROOST_DATA_DIR: this.tempDir('server'),
        ...(options.leaseMs ? { ROOST_LEASE_MS: String(options.leaseMs) } : {}),
        ...(options.offlineGraceMs !== undefined
          ? { ROOST_OFFLINE_GRACE_MS: String(options.offlineGraceMs) }
          : {}),
        ...options.env,
      },
    );
    await proc.waitFor(/Roost standalone is running/);
    const api = `http://127.0.0.1:${port}`;
    useToken(api, PROCESS_ADMIN_TOKEN);
    return {
      proc,
      api,
      adminToken: PROCESS_ADMIN_TOKEN,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      wsUrl: `ws://127.0.0.1:${port}/mqtt`,
    };
  }

  /** An agent process; resolves once the control plane has welcomed it. */
  async agent(options: {
    url: string;
    secret: string;
    id: string;
    labels?: string;
    slots?: number;
    /** the control plane's HTTP URL, for files */
    server?: string;
    /** more `roost agent start` flags */
    args?: string[];
    env?: Record<string, string>;
  }) {
    const proc = this.spawn(
      `agent ${options.id}`,
      [
        'agent',
        'start',
        '--url',
        options.url,
        '--agent-id',
        options.id,
        '--name',
        options.id,
        '--slots',
        String(options.slots ?? 2),
        ...(options.labels ? ['--labels', options.labels] : []),
        ...(options.server ? ['--server', options.server] : []),
        ...(options.args ?? []),
      ],
      {
        ROOST_AGENT_SECRET: options.secret,
        ROOST_DATA_DIR: this.tempDir(`agent-${options.id}`),
        ...options.env,
      },
    );
    await proc.waitFor(/welcomed/);
    return proc;
  }

  /** Kills every process still running (SIGKILL after a short grace) and removes temporary directories. */
  async stopAll(): Promise<string[]> {
    const leftovers = this.all.filter((p) => p.running).map((p) => p.name);
    await Promise.all(
      this.all.map(async (p) => {
        if (!p.running) return;
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
        await p.exited;
        clearTimeout(timer);
      }),
    );
    killStrays(this.dirs);
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    return leftovers;
  }
}

/**
 * Kills what tasks left running: an agent killed on purpose (SIGKILL, a cut) leaves its task's
 * process group behind, and a test's task waiting on a file in one of its directories would wait for
 * ever. Any process whose command line names one of `dirs` goes.
 */
function killStrays(dirs: readonly string[]): void {
  if (!dirs.length || process.platform !== 'linux') return;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone already
    }
    if (!dirs.some((dir) => command.includes(dir))) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

type ControlPlaneOptions = Parameters<Processes['controlPlane']>[0];

/**
 * What most end-to-end files start with: a database of their own on real Postgres, and a control-plane
 * process on it (`options` as for `Processes.controlPlane`). Pair it with `stopControlPlane`.
 */
export async function startControlPlane(
  processes: Processes,
  options: Omit<ControlPlaneOptions, 'databaseUrl'>,
) {
  const db = await createTestDatabase();
  if (!db.url) throw new Error('the end-to-end tests need real Postgres');
  const cp = await processes.controlPlane({ ...options, databaseUrl: db.url });
  return { db, cp };
}

/** Stops every process the file started, then drops its database. */
export async function stopControlPlane(processes: Processes, db: TestDatabase | undefined): Promise<void> {
  await processes.stopAll();
  await db?.drop();
}
