// What a runnable task is: a small module with a type name and a `run(ctx)` that returns its outcome.
import type { LogLevel } from '../../protocol/messages.ts';
import type { JobFiles } from './files/client.ts';

/** Everything a task may touch while it runs; the runner builds one per job attempt. */
export interface TaskContext {
  /** the task definition as written (expressions unrendered) */
  readonly task: Readonly<Record<string, unknown>>;
  /** Renders every string inside `value` with the job's context; `property` names it in errors. */
  render(value: unknown, property: string): unknown;
  /** Renders a property that must be a string (or absent: undefined). */
  renderString(property: string): string | undefined;
  log(level: LogLevel, message: string): void;
  /** aborted when the job is killed; the task must end soon after */
  readonly signal: AbortSignal;
  /** environment for child processes (the agent's own, without its secret) */
  readonly env: Readonly<Record<string, string>>;
  /** internal storage: upload a task run's files, download files of the execution */
  readonly files: JobFiles;
  /** Adds variables the task's expressions see from now on (`workingDir`, `outputDir`). */
  addVariables(variables: Record<string, unknown>): void;
  /** a fresh directory for this attempt's files, created on first use, removed when the job ends */
  workingDirectory(): Promise<string>;
  /** how long a killed process group gets between SIGTERM and SIGKILL */
  readonly killGraceMs: number;
}

export const TaskState = { SUCCESS: 'SUCCESS', WARNING: 'WARNING', FAILED: 'FAILED' } as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export interface TaskOutcome {
  state?: TaskState;
  outputs?: Record<string, unknown>;
  error?: { message: string; code?: string };
}

export interface TaskModule {
  /** Kestra's type name, e.g. io.kestra.plugin.core.log.Log */
  readonly type: string;
  /** older names of the same task */
  readonly aliases?: readonly string[];
  /**
   * Running it again from scratch changes nothing outside the agent (Log, Return, ...). The runner
   * then skips committing "running" to the inbox, and a restart simply runs it again.
   */
  readonly sideEffectFree?: boolean;
  /** Runs the task; a thrown error makes the result FAILED with its message. */
  run(ctx: TaskContext): Promise<TaskOutcome>;
}

/** Reads a property that must be a list of strings, accepting a single string as a one-item list. */
export function stringList(value: unknown, property: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new TypeError(`property '${property}' must be a string or a list of strings`);
}

/** Reads a property that must be a map of strings (numbers and booleans are turned into strings). */
export function stringMap(value: unknown, property: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`property '${property}' must be a map`);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    out[key] =
      typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item);
  }
  return out;
}
