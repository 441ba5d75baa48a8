// Kestra's core runnable tasks that need no process: Log, Return, Echo, OutputValues and Fail.
import { RoostError } from '../../protocol/errors.ts';
import type { LogLevel } from '../../protocol/messages.ts';
import { stringList, type TaskContext, type TaskModule } from './types.ts';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

function logLevel(ctx: TaskContext): LogLevel {
  const level = (ctx.renderString('level') ?? 'INFO').toUpperCase();
  const known = LEVELS.find((l) => l === level);
  if (!known) throw new TypeError(`property 'level' must be one of ${LEVELS.join(', ')}, not "${level}"`);
  return known;
}

export const log: TaskModule = {
  type: 'io.kestra.plugin.core.log.Log',
  aliases: ['io.kestra.core.tasks.log.Log'],
  sideEffectFree: true,
  async run(ctx) {
    const level = logLevel(ctx);
    const messages = stringList(ctx.render(ctx.task.message, 'message'), 'message');
    for (const message of messages) ctx.log(level, message);
    return {};
  },
};

export const returnTask: TaskModule = {
  type: 'io.kestra.plugin.core.debug.Return',
  aliases: ['io.kestra.core.tasks.debugs.Return'],
  sideEffectFree: true,
  async run(ctx) {
    const value = ctx.renderString('format');
    return { outputs: value === undefined ? {} : { value } };
  },
};

export const echo: TaskModule = {
  type: 'io.kestra.plugin.core.debug.Echo',
  aliases: ['io.kestra.core.tasks.debugs.Echo'],
  sideEffectFree: true,
  async run(ctx) {
    const level = logLevel(ctx);
    const message = ctx.renderString('format');
    if (message !== undefined) ctx.log(level, message);
    return {};
  },
};

export const outputValues: TaskModule = {
  type: 'io.kestra.plugin.core.output.OutputValues',
  aliases: ['io.kestra.core.tasks.outputs.OutputValues'],
  sideEffectFree: true,
  async run(ctx) {
    const values = ctx.render(ctx.task.values ?? {}, 'values');
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new TypeError(`property 'values' must be a map`);
    }
    return { outputs: { values } };
  },
};

/** Kestra's falsy strings for a rendered condition (TruthUtils). */
const FALSY = new Set(['', 'false', '0', '-0', 'null', 'undefined']);

export function isTruthy(rendered: unknown): boolean {
  if (rendered === null || rendered === undefined || rendered === false) return false;
  return !FALSY.has(String(rendered).trim().toLowerCase());
}

export const fail: TaskModule = {
  type: 'io.kestra.plugin.core.execution.Fail',
  aliases: ['io.kestra.core.tasks.executions.Fail'],
  sideEffectFree: true,
  async run(ctx) {
    if (ctx.task.condition !== undefined && !isTruthy(ctx.render(ctx.task.condition, 'condition'))) {
      return {};
    }
    const message = ctx.renderString('errorMessage') ?? 'Task failure';
    throw new RoostError('ROOST_TASK_FAILED', message);
  },
};
