// Runs one task module the way the runner would, with the real expression engine, and records its logs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDeep } from '../../protocol/expressions/index.ts';
import type { LogLevel } from '../../protocol/messages.ts';
import { createTaskContext } from '../runner/task-context.ts';
import type { JobFiles } from '../tasks/files/client.ts';
import type { TaskModule, TaskOutcome } from '../tasks/types.ts';
import { makeJob } from './fixtures.ts';

export interface TaskRun {
  outcome: Promise<TaskOutcome>;
  logs: { level: LogLevel; message: string }[];
  /** resolves with the first logged line that matches */
  line(match: RegExp): Promise<string>;
  kill(): void;
  workRoot: string;
}

export function startTask(
  module: TaskModule,
  properties: Record<string, unknown>,
  options: {
    context?: Record<string, unknown>;
    killGraceMs?: number;
    envs?: Record<string, string>;
    files?: JobFiles;
    childEnv?: Record<string, string>;
  } = {},
): TaskRun {
  const job = makeJob({
    task: { id: 'task', type: module.type, ...properties },
    context: options.context ?? {},
  });
  const logs: TaskRun['logs'] = [];
  const watchers: { match: RegExp; resolve: (line: string) => void }[] = [];
  const abort = new AbortController();
  const workRoot = mkdtempSync(join(tmpdir(), 'roost-task-'));
  const { ctx, prepare, cleanup } = createTaskContext({
    job,
    renderer: { renderDeep },
    envs: options.envs ?? {},
    childEnv: options.childEnv ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workRoot,
    killGraceMs: options.killGraceMs ?? 5_000,
    signal: abort.signal,
    log(level, message) {
      logs.push({ level, message });
      for (const w of watchers.filter((w) => w.match.test(message))) w.resolve(message);
    },
    ...(options.files ? { files: options.files } : {}),
  });
  const outcome = prepare()
    .then(() => module.run(ctx))
    .finally(cleanup);
  return {
    outcome,
    logs,
    workRoot,
    kill: () => abort.abort(),
    line: (match) =>
      new Promise((resolve) => {
        const seen = logs.find((l) => match.test(l.message));
        if (seen) resolve(seen.message);
        else watchers.push({ match, resolve });
      }),
  };
}

/** Runs a task to its end and returns its outcome, logs included. */
export async function runTask(
  module: TaskModule,
  properties: Record<string, unknown>,
  options: Parameters<typeof startTask>[2] = {},
): Promise<TaskOutcome & { logs: TaskRun['logs'] }> {
  const run = startTask(module, properties, options);
  return { ...(await run.outcome), logs: run.logs };
}
