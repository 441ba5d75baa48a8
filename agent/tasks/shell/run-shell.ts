// Shared by the script tasks: prepares the working directory (inputFiles, outputDir), runs a script through
// the interpreter, logs its output, collects its `::{"outputs":...}::` lines and uploads its outputFiles.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RoostError } from '../../../protocol/errors.ts';
import { localizeStorageUris, uploadOutputFiles, writeInputFiles } from '../files/working-files.ts';
import { stringList, stringMap, type TaskContext, type TaskOutcome } from '../types.ts';
import { parseOutputLine } from './output-line.ts';
import { runProcessGroup } from './process.ts';

export const DEFAULT_INTERPRETER = ['/bin/sh', '-c'] as const;
/** `{{ outputDir }}`: every file written there becomes an output file. */
export const OUTPUT_DIR_NAME = '_outputs';
const PROCESS_RUNNER = new Set([
  'io.kestra.plugin.core.runner.Process',
  'io.kestra.core.models.tasks.runners.types.ProcessTaskRunner',
]);

/** The interpreter property rendered, checked, and defaulted like Kestra's. */
export function interpreter(ctx: TaskContext): string[] {
  const value = stringList(
    ctx.render(ctx.task.interpreter ?? [...DEFAULT_INTERPRETER], 'interpreter'),
    'interpreter',
  );
  if (value.length === 0) throw new TypeError(`property 'interpreter' must not be empty`);
  return value;
}

/** The lines that come before the task's own: `set -e` (unless `failFast: false`) and `beforeCommands`. */
export function preamble(ctx: TaskContext): string[] {
  const failFast = ctx.task.failFast !== false;
  const before = stringList(ctx.render(ctx.task.beforeCommands, 'beforeCommands'), 'beforeCommands');
  return failFast ? ['set -e', ...before] : before;
}

/** Containers are not run here: a task that asks for one runs on the host, and says so in its log. */
function warnIfNotProcess(ctx: TaskContext): void {
  const runner = ctx.task.taskRunner as { type?: unknown } | undefined;
  const type = typeof runner?.type === 'string' ? runner.type : undefined;
  if (type && !PROCESS_RUNNER.has(type)) {
    ctx.log(
      'WARN',
      `taskRunner ${type} is not available on Roost agents: the task runs as a host process (Process)`,
    );
  } else if (!type && (ctx.task.containerImage !== undefined || ctx.task.runner === 'DOCKER')) {
    ctx.log(
      'WARN',
      'containerImage is ignored: Roost agents run scripts as host processes (Process task runner)',
    );
  }
}

export interface ScriptPlan {
  argv: readonly string[];
  /** the script given to the interpreter; built once the working directory and its variables exist */
  script(cwd: string): Promise<string>;
  /** extra environment (a PATH with interpreter shims, ...) */
  env?: Record<string, string>;
}

/**
 * Runs the script as the last argument of the interpreter in the attempt's working directory.
 * stdout lines are INFO logs, stderr lines ERROR logs (as in Kestra since 0.21); a line
 * `::{"outputs":{...}}::` merges into the `vars` output. After a success the output files are uploaded.
 */
export async function runShell(ctx: TaskContext, plan: ScriptPlan): Promise<TaskOutcome> {
  warnIfNotProcess(ctx);
  const cwd = await ctx.workingDirectory();
  const outputDir = join(cwd, OUTPUT_DIR_NAME);
  // made only for a task that names it, so the working directory starts empty otherwise
  if (/outputDir|OUTPUT_DIR/.test(JSON.stringify(ctx.task))) await mkdir(outputDir, { recursive: true });
  ctx.addVariables({ workingDir: cwd, outputDir });
  const env = {
    ...ctx.env,
    ...plan.env,
    WORKING_DIR: cwd,
    OUTPUT_DIR: outputDir,
    ...stringMap(ctx.render(ctx.task.env, 'env'), 'env'),
  };
  await writeInputFiles(ctx, cwd);
  const script = await localizeStorageUris(ctx, cwd, await plan.script(cwd));
  const vars: Record<string, unknown> = {};
  const [command, ...args] = plan.argv;
  if (command === undefined) throw new TypeError(`property 'interpreter' must not be empty`);
  const exit = await runProcessGroup({
    command,
    args: [...args, script],
    cwd,
    env,
    signal: ctx.signal,
    killGraceMs: ctx.killGraceMs,
    onLine(stream, line) {
      const parsed = parseOutputLine(line);
      if (parsed?.outputs) Object.assign(vars, parsed.outputs);
      if (!parsed) ctx.log(stream === 'stdout' ? 'INFO' : 'ERROR', line);
    },
  });
  const exitCode = exit.exitCode ?? (exit.signal ? 128 : -1);
  const outputs: Record<string, unknown> = { exitCode, vars };
  if (exit.killed) return { state: 'FAILED', outputs, error: { message: 'killed' } };
  if (exitCode !== 0) {
    const how = exit.signal ? `was ended by ${exit.signal}` : `failed with exit code ${exitCode}`;
    return {
      state: 'FAILED',
      outputs,
      error: new RoostError('ROOST_TASK_FAILED', `Command ${how}`).toJSON(),
    };
  }
  const outputFiles = await uploadOutputFiles(ctx, cwd, outputDir, OUTPUT_DIR_NAME);
  if (Object.keys(outputFiles).length || ctx.task.outputFiles !== undefined)
    outputs.outputFiles = outputFiles;
  return { outputs };
}
