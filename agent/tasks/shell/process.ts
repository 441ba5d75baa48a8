// Runs one command as the leader of its own process group, line by line, and kills the whole group on abort.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type StreamName = 'stdout' | 'stderr';

export interface ProcessGroupOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  signal: AbortSignal;
  /** time between SIGTERM and SIGKILL when aborted */
  killGraceMs: number;
  onLine(stream: StreamName, line: string): void;
}

export interface ProcessGroupExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** true when the run was aborted and the group was signalled */
  killed: boolean;
}

/** Signals every process in the group led by `pid`; false when none is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Spawns `command` detached (its own process group). When the leader exits, what is left of its group
 * is killed: a task's processes never outlive the task (and its working directory).
 */
export function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killed = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (killed || child.pid === undefined) return;
      killed = true;
      signalGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(
        () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'),
        options.killGraceMs,
      );
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = createInterface({ input: child[stream], crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => options.onLine(stream, line));
    }
    child.once('error', (error) => {
      options.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start ${options.command}: ${error.message}`));
    });
    child.once('exit', () => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(graceTimer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, killed });
    });
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
  });
}
