// Agent hooks: commands a site runs at agent start, before a job (a non-zero exit refuses it), after a
// job and at agent stop. Each runs through `sh -c` with the agent's environment (without its
// credentials) and ROOST_* variables describing the agent and the job; its output goes to the agent log.
import { spawn } from 'node:child_process';
import type { Job } from '../protocol/messages.ts';
import type { Logger } from './logger.ts';

export const HookName = {
  start: 'start',
  beforeJob: 'before-job',
  afterJob: 'after-job',
  stop: 'stop',
} as const;
export type HookName = (typeof HookName)[keyof typeof HookName];

export type AgentHooks = Partial<Record<HookName, string>>;

export interface HookOutcome {
  ok: boolean;
  /** why it failed: exit code, signal, timeout or spawn error */
  reason?: string;
}

export interface HookRunnerOptions {
  hooks: AgentHooks;
  /** environment of the hook processes (the agent's, without credentials) */
  env: Record<string, string>;
  agent: { id: string; name: string };
  logger: Logger;
  /** a hook still running after this long is killed and counts as failed (default 60 s) */
  timeoutMs?: number;
}

/** The variables a job's hooks see. */
export function jobHookEnv(job: Job, state?: string): Record<string, string> {
  return {
    ROOST_JOB_ID: job.jobId,
    ROOST_JOB_ATTEMPT: String(job.attempt),
    ROOST_EXECUTION_ID: job.executionId,
    ROOST_TASK_RUN_ID: job.taskRunId,
    ROOST_TASK_ID: String(job.task.id ?? ''),
    ROOST_TASK_TYPE: String(job.task.type ?? ''),
    ...(state ? { ROOST_JOB_STATE: state } : {}),
  };
}

export class HookRunner {
  readonly #options: HookRunnerOptions;

  constructor(options: HookRunnerOptions) {
    this.#options = options;
  }

  has(name: HookName): boolean {
    return Boolean(this.#options.hooks[name]);
  }

  /** Runs a hook if one is configured (ok when none is); never throws. */
  run(name: HookName, extraEnv: Record<string, string> = {}): Promise<HookOutcome> {
    const command = this.#options.hooks[name];
    if (!command) return Promise.resolve({ ok: true });
    const log = this.#options.logger;
    const timeoutMs = this.#options.timeoutMs ?? 60_000;
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: {
          ...this.#options.env,
          ROOST_HOOK: name,
          ROOST_AGENT_ID: this.#options.agent.id,
          ROOST_AGENT_NAME: this.#options.agent.name,
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, timeoutMs);
      const relay = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) log.info(`hook ${name}: ${line}`);
      };
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: `could not run: ${error.message}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve({ ok: true });
        else if (timedOut) resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` });
        else resolve({ ok: false, reason: signal ? `killed by ${signal}` : `exited with code ${code}` });
      });
    });
  }
}
