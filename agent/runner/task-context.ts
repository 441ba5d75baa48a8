// Builds the TaskContext of one job attempt: rendering with the job's context, logging, kill signal, files.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job, LogLevel } from '../../protocol/messages.ts';
import { type JobFiles, NO_FILES } from '../tasks/files/client.ts';
import { uploadDirectoryOutputFiles, writeInputFiles } from '../tasks/files/working-files.ts';
import type { TaskContext } from '../tasks/types.ts';

/** The expression engine's entry points the runner uses (protocol/expressions in production). */
export interface Renderer {
  renderDeep(
    value: unknown,
    context: Record<string, unknown>,
    options?: {
      where?: string;
      functions?: { read?: (uri: string) => string; secret?: (name: string) => string };
    },
  ): unknown;
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
  /** internal storage as this attempt may use it (none: every operation fails saying why) */
  files?: JobFiles;
  /** `{{ secret('NAME') }}`: from the agent's own store */
  secret?: (name: string) => string;
}

/** The largest file `read()` returns, in bytes (the expression engine's output bound is 10 M characters). */
export const MAX_READ_BYTES = 10 * 1024 * 1024;
/** How many rounds of fetching `read()` files before rendering: each round finds the files the last one unlocked. */
const MAX_READ_ROUNDS = 16;

/** The variables a job's expressions see: its context, `envs`, and `task` (id and type) if absent. */
export function renderContext(job: Job, envs: Readonly<Record<string, string>>): Record<string, unknown> {
  const task = { id: job.task.id, type: job.task.type };
  return { task, ...job.context, envs: { ...envs, ...(job.context.envs as object | undefined) } };
}

export interface AttemptContext {
  ctx: TaskContext;
  /** Fetches the files the task's expressions `read()`, so that rendering (synchronous) finds them. */
  prepare(): Promise<void>;
  /**
   * Removes the working directory if one was made; a WorkingDirectory's shared one only after its last
   * child `succeeded` (a retry of an earlier one needs it).
   */
  cleanup(succeeded?: boolean): Promise<void>;
  /**
   * After a successful attempt of a WorkingDirectory's last child: the WorkingDirectory's `outputFiles`
   * uploaded from the shared directory (undefined when there are none to collect).
   */
  directoryOutputs(): Promise<{ outputFiles: Record<string, string> } | undefined>;
}

const SHARED_PREFIX = 'wd-';
/** A WorkingDirectory's directory left behind (its group failed, or was killed) goes after this long. */
export const SHARED_DIRECTORY_MAX_AGE_MS = 24 * 3600_000;

/** Removes shared directories untouched for longer than `maxAgeMs`. */
export async function removeStaleSharedDirectories(workRoot: string, now: number, maxAgeMs: number) {
  const names = await readdir(workRoot).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(SHARED_PREFIX)) continue;
    const path = join(workRoot, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > maxAgeMs) await rm(path, { recursive: true, force: true });
  }
}

export function createTaskContext(options: TaskContextOptions): AttemptContext {
  const { job, renderer } = options;
  const variables = renderContext(job, options.envs);
  const taskId = typeof job.task.id === 'string' ? job.task.id : job.taskRunId;
  let directory: Promise<string> | undefined;
  const shared = job.workingDirectory;
  const files = options.files ?? NO_FILES;
  // read() is synchronous in expressions: files are fetched by prepare(), then served from here
  const fetched = new Map<string, string | Error>();
  const missing = new Set<string>();
  const read = (uri: string): string => {
    const file = fetched.get(uri);
    if (typeof file === 'string') return file;
    if (file) throw file;
    missing.add(uri);
    throw new Error(`${uri} was not fetched before rendering`);
  };
  // secret() resolves from the agent's own store (see agent/secrets.ts)
  const functions = { read, ...(options.secret ? { secret: options.secret } : {}) };
  const render = (value: unknown, property: string): unknown =>
    renderer.renderDeep(value, variables, {
      where: `task ${taskId} property '${property}'`,
      functions,
    });
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
    files,
    addVariables(extra) {
      Object.assign(variables, extra);
    },
    signal: options.signal,
    env: options.childEnv,
    killGraceMs: options.killGraceMs,
    workingDirectory() {
      if (shared) {
        // one directory for every child of the WorkingDirectory: kept between its jobs
        const path = join(options.workRoot, `${SHARED_PREFIX}${shared.id}`.replace(/[^\w.-]/g, '_'));
        // made by the first job that needs it, which writes the WorkingDirectory's inputFiles into it
        directory ??= removeStaleSharedDirectories(options.workRoot, Date.now(), SHARED_DIRECTORY_MAX_AGE_MS)
          .then(() => mkdir(path, { recursive: true, mode: 0o700 }))
          .then(async (made) => {
            if (made !== undefined && shared.inputFiles !== undefined) {
              await writeInputFiles(ctx, path, shared.inputFiles).catch(async (error: unknown) => {
                // written whole or not at all: the next job tries again
                await rm(path, { recursive: true, force: true });
                throw error;
              });
            }
            return path;
          });
        return directory;
      }
      const path = join(options.workRoot, `${job.jobId}-${job.attempt}`.replace(/[^\w.-]/g, '_'));
      directory ??= rm(path, { recursive: true, force: true })
        .then(() => mkdir(path, { recursive: true, mode: 0o700 }))
        .then(() => path);
      return directory;
    },
  };
  return {
    ctx,
    async prepare() {
      if (!JSON.stringify(job.task).includes('read(')) return;
      for (let round = 0; round < MAX_READ_ROUNDS; round++) {
        missing.clear();
        try {
          renderer.renderDeep(job.task, variables, { functions });
        } catch {
          // errors surface when the task renders its properties; here only the files asked for matter
        }
        if (missing.size === 0) return;
        for (const uri of missing) {
          fetched.set(
            uri,
            await files.readText(uri, MAX_READ_BYTES).catch((error: unknown) => error as Error),
          );
        }
      }
    },
    async directoryOutputs() {
      if (!shared?.last || shared.outputFiles === undefined) return undefined;
      const cwd = await ctx.workingDirectory();
      return { outputFiles: await uploadDirectoryOutputFiles(ctx, cwd, shared.outputFiles) };
    },
    async cleanup(succeeded) {
      if (!directory || (shared && !(shared.last && succeeded === true))) return;
      const path = await directory.catch(() => undefined);
      if (path) await rm(path, { recursive: true, force: true });
    },
  };
}
