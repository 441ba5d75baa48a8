// Child processes for the bench: the control plane and agents, on free loopback ports, with their
// output kept (and written to a log file) so readiness is a line they print, never a sleep.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const ROOST = resolve(REPO_ROOT, 'bin/roost.mjs');
const RUN_TS = resolve(REPO_ROOT, 'bin/run-ts.mjs');
interface Waiter {
  pattern: RegExp;
  resolve: (match: RegExpMatchArray) => void;
}

/** One `roost` child process; every line it prints is kept, matched against waiters and logged. */
export class RoostChild {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  #exitCode: number | null | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #log: WriteStream;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    this.#log = createWriteStream(logFile);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.#line(line));
    }
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.#exitCode = code ?? (signal ? null : 0);
        done(this.#exitCode);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  #line(line: string) {
    this.lines.push(line);
    if (this.lines.length > 2000) this.lines.splice(0, 1000);
    this.#log.write(`${line}\n`);
    for (const waiter of this.#waiters) {
      const match = line.match(waiter.pattern);
      if (match) {
        this.#waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  }

  /** The last lines of output, for error messages. */
  tail(count = 30): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Resolves with the first line (from now on) matching `pattern`; fails on timeout (if given) or exit. */
  waitFor(pattern: RegExp, timeoutMs: number | undefined, what: string): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        reject(
          new Error(`${this.name}: ${reason} while waiting for ${what}\n--- output ---\n${this.tail()}`),
        );
      };
      const waiter: Waiter = {
        pattern,
        resolve: (match) => {
          clearTimeout(timer);
          resolve(match);
        },
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => fail(`no line after ${timeoutMs} ms`), timeoutMs);
      this.#waiters.add(waiter);
      void this.exited.then((code) => {
        if (this.#waiters.has(waiter)) fail(`exited (code ${code})`);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((done) => this.#log.end(done));
  }
}

/** Starts `node [nodeArgs] bin/roost.mjs ...args` from the repository root. */
export function spawnRoost(
  name: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
) {
  return spawnNode(name, [...nodeArgs, ROOST, ...args], logFile, env);
}

/** The agent bundle `npm run build` writes: what the installer puts on a host, run by plain node. */
export const AGENT_BUNDLE = resolve(REPO_ROOT, 'dist/agent/roost-agent.mjs');

/** Starts `node [nodeArgs] dist/agent/roost-agent.mjs ...args` (the agent as installed). */
export function spawnAgentBundle(
  name: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
) {
  // as installers/install.sh's launcher runs it
  return spawnNode(name, [...nodeArgs, '--max-semi-space-size=1', AGENT_BUNDLE, ...args], logFile, env);
}

/** Starts a TypeScript entry point of the repository (through bin/run-ts.mjs) with `args`. */
export function spawnScript(name: string, script: string, args: string[], logFile: string) {
  return spawnNode(name, [RUN_TS, resolve(REPO_ROOT, script), ...args], logFile, {});
}

function spawnNode(name: string, argv: string[], logFile: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RoostChild(name, child, logFile);
}

/** Polls `GET url` until it answers 200 (the server printed its ready line already). */
export async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined when it is gone. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name: state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}
