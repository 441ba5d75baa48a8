// pluginDefaults as Kestra applies them: by exact type or prefix, beneath the task's own values,
// except `forced` ones, which win; and validation sees the task with its defaults applied.
import { describe, expect, it } from 'vitest';
import {
  applyPluginDefaults,
  type PluginDefault,
  parseFlow,
  type TaskDef,
  validateFlowSource,
} from './index.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const COMMANDS = 'io.kestra.plugin.scripts.shell.Commands';
const log = (extra: Record<string, unknown> = {}): TaskDef => ({
  id: 'log',
  type: LOG,
  message: 'own',
  ...extra,
});
const apply = (pluginDefaults: PluginDefault[], task: TaskDef) =>
  applyPluginDefaults({ pluginDefaults }, task);

describe('applyPluginDefaults', () => {
  it('fills properties the task does not set, for the exact type', () => {
    const task = apply([{ type: LOG, values: { level: 'WARN', message: 'default' } }], log());
    expect(task).toEqual({ id: 'log', type: LOG, message: 'own', level: 'WARN' });
  });

  it('matches a type by prefix, and leaves other types alone', () => {
    const defaults = [{ type: 'io.kestra.plugin.core.log', values: { level: 'DEBUG' } }];
    expect(apply(defaults, log()).level).toBe('DEBUG');
    const other: TaskDef = { id: 'r', type: 'io.kestra.plugin.core.debug.Return' };
    expect(apply(defaults, other)).toEqual(other);
  });

  it('lets a forced default win over the task', () => {
    const task = apply(
      [{ type: LOG, forced: true, values: { message: 'forced', level: 'ERROR' } }],
      log({ level: 'INFO' }),
    );
    expect(task).toMatchObject({ message: 'forced', level: 'ERROR' });
  });

  it('keeps the first listed default when several match, forced or not', () => {
    const defaults = [
      { type: LOG, values: { level: 'WARN' } },
      { type: 'io.kestra', values: { level: 'TRACE', logToFile: true } },
      { type: LOG, forced: true, values: { description: 'first forced' } },
      { type: 'io.kestra', forced: true, values: { description: 'second forced' } },
    ];
    expect(apply(defaults, log())).toMatchObject({
      level: 'WARN',
      logToFile: true,
      description: 'first forced',
    });
  });

  it('merges maps key by key and joins lists, as Kestra does', () => {
    const task: TaskDef = {
      id: 'sh',
      type: COMMANDS,
      commands: ['make'],
      env: { A: '1' },
      beforeCommands: ['cd src'],
    };
    const defaults = [
      { type: COMMANDS, values: { env: { A: '0', B: '2' }, beforeCommands: ['set -e', 'cd src'] } },
    ];
    expect(apply(defaults, task)).toMatchObject({
      env: { A: '1', B: '2' },
      beforeCommands: ['set -e', 'cd src'],
    });
  });

  it('applies a default written with an old type name to a task written with the new one, and back', () => {
    expect(apply([{ type: 'io.kestra.core.tasks.log.Log', values: { level: 'WARN' } }], log()).level).toBe(
      'WARN',
    );
    const old = log({ type: 'io.kestra.core.tasks.log.Log' });
    expect(apply([{ type: LOG, values: { level: 'WARN' } }], old).level).toBe('WARN');
  });

  it('reaches plugins nested in the task, but not its child tasks', () => {
    const runner = 'io.kestra.plugin.core.runner.Process';
    const task: TaskDef = { id: 'sh', type: COMMANDS, commands: ['ls'], taskRunner: { type: runner } };
    expect(apply([{ type: runner, values: { version: '1' } }], task).taskRunner).toEqual({
      type: runner,
      version: '1',
    });
    const sequential: TaskDef = { id: 'seq', type: 'io.kestra.plugin.core.flow.Sequential', tasks: [log()] };
    expect(apply([{ type: LOG, values: { level: 'WARN' } }], sequential)).toEqual(sequential);
  });

  it('never changes the task nor the defaults it was given', () => {
    const defaults = [{ type: LOG, values: { env: { A: '1' } } }];
    const task = log();
    const applied = apply(defaults, task);
    (applied.env as Record<string, string>).A = 'changed';
    expect(defaults[0]?.values).toEqual({ env: { A: '1' } });
    expect(task).toEqual(log());
  });
});

describe('pluginDefaults in validation', () => {
  const flow = (...lines: string[]) => ['id: f', 'namespace: company.team', ...lines].join('\n');

  it('validates a task with its defaults applied: a default may supply a required property', () => {
    const source = flow(
      'pluginDefaults:',
      `  - type: ${LOG}`,
      '    values:',
      '      message: from defaults',
      'tasks:',
      '  - id: log',
      `    type: ${LOG}`,
    );
    const parsed = parseFlow(source);
    expect(parsed.tasks[0]).toEqual({ id: 'log', type: LOG });
    expect(applyPluginDefaults(parsed, parsed.tasks[0] as TaskDef).message).toBe('from defaults');
  });

  it('reads the old taskDefaults the same way', () => {
    const source = flow(
      'taskDefaults:',
      `  - type: ${LOG}`,
      '    values: { message: old name }',
      'tasks:',
      '  - id: log',
      `    type: ${LOG}`,
    );
    expect(applyPluginDefaults(parseFlow(source), { id: 'log', type: LOG }).message).toBe('old name');
  });

  it('refuses a default that gives a task a property its type does not have', () => {
    const source = flow(
      'pluginDefaults:',
      `  - type: ${LOG}`,
      '    values: { colour: red }',
      'tasks:',
      '  - id: log',
      `    type: ${LOG}`,
      '    message: hi',
    );
    expect(validateFlowSource(source).errors.map((error) => error.message)).toEqual([
      `tasks[0].colour: unknown property 'colour' of ${LOG} (its own properties: level, message) (set by pluginDefaults) (line 7, column 5)`,
    ]);
  });
});
