// Shared by the shell tasks: runs a script through the interpreter, logs its output and collects its outputs.
import { RoostError } from '../../../protocol/errors.ts';
import { stringList, stringMap, type TaskContext, type TaskOutcome } from '../types.ts';
import { parseOutputLine } from './output-line.ts';
import { runProcessGroup } from './process.ts';

export const DEFAULT_INTERPRETER = ['/bin/sh', '-c'] as const;

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

/**
 * Runs `script` as the last argument of the interpreter in the attempt's working directory.
 * stdout lines are INFO logs, stderr lines ERROR logs (as in Kestra since 0.21); a line
 * `::{"outputs":{...}}::` merges into the `vars` output.
 */
export async function runShell(
  ctx: TaskContext,
  argv: readonly string[],
  script: string,
): Promise<TaskOutcome> {
  const env = { ...ctx.env, ...stringMap(ctx.render(ctx.task.env, 'env'), 'env') };
  const cwd = await ctx.workingDirectory();
  const vars: Record<string, unknown> = {};
  const [command, ...args] = argv;
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
      ctx.log(stream === 'stdout' ? 'INFO' : 'ERROR', line);
    },
  });
  const exitCode = exit.exitCode ?? (exit.signal ? 128 : -1);
  const outputs = { exitCode, vars };
  if (exit.killed) return { state: 'FAILED', outputs, error: { message: 'killed' } };
  if (exitCode !== 0) {
    const how = exit.signal ? `was ended by ${exit.signal}` : `failed with exit code ${exitCode}`;
    return {
      state: 'FAILED',
      outputs,
      error: new RoostError('ROOST_TASK_FAILED', `Command ${how}`).toJSON(),
    };
  }
  return { outputs };
}
