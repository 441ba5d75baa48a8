// Builds the TaskContext of one job attempt: rendering with the job's context, logging, kill signal, files.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job, LogLevel } from '../../protocol/messages.ts';
import type { TaskContext } from '../tasks/types.ts';

/** The expression engine's entry points the runner uses (protocol/expressions in production). */
export interface Renderer {
  renderDeep(value: unknown, context: Record<string, unknown>, options?: { where?: string }): unknown;
}

export interface TaskContextOptions {
  job: Job;
  renderer: Renderer;
  /** `envs` in expressions */
  envs: Readonly<Record<string, string>>;
  childEnv: Readonly<Record<string, string>>;
  workRoot: string;
  killGraceMs: number;
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

/** The variables a job's expressions see: its context, `envs`, and `task` (id and type) if absent. */
export function renderContext(job: Job, envs: Readonly<Record<string, string>>): Record<string, unknown> {
  const task = { id: job.task.id, type: job.task.type };
  return { task, ...job.context, envs: { ...envs, ...(job.context.envs as object | undefined) } };
}

export interface AttemptContext {
  ctx: TaskContext;
  /** Removes the working directory if one was made. */
  cleanup(): Promise<void>;
}

export function createTaskContext(options: TaskContextOptions): AttemptContext {
  const { job, renderer } = options;
  const variables = renderContext(job, options.envs);
  const taskId = typeof job.task.id === 'string' ? job.task.id : job.taskRunId;
  let directory: Promise<string> | undefined;
  const render = (value: unknown, property: string): unknown =>
    renderer.renderDeep(value, variables, { where: `task ${taskId} property '${property}'` });
  const ctx: TaskContext = {
    task: job.task,
    render,
    renderString(property) {
      const raw = job.task[property];
      if (raw === undefined || raw === null) return undefined;
      const value = render(raw, property);
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw new TypeError(`property '${property}' must be a string`);
    },
    log: options.log,
    signal: options.signal,
    env: options.childEnv,
    killGraceMs: options.killGraceMs,
    workingDirectory() {
      const path = join(options.workRoot, `${job.jobId}-${job.attempt}`.replace(/[^\w.-]/g, '_'));
      directory ??= rm(path, { recursive: true, force: true })
        .then(() => mkdir(path, { recursive: true, mode: 0o700 }))
        .then(() => path);
      return directory;
    },
  };
  return {
    ctx,
    async cleanup() {
      if (!directory) return;
      const path = await directory.catch(() => undefined);
      if (path) await rm(path, { recursive: true, force: true });
    },
  };
}
