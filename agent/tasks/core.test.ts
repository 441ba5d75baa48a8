import { describe, expect, it } from 'vitest';
import { runTask } from '../test-support/task-harness.ts';
import { echo, fail, isTruthy, log, outputValues, returnTask } from './core.ts';
import { TaskRegistry } from './registry.ts';

describe('core tasks', () => {
  it('logs a rendered message at the requested level', async () => {
    const out = await runTask(
      log,
      { message: 'hello {{ inputs.who }}', level: 'WARN' },
      { context: { inputs: { who: 'Ada' } } },
    );
    expect(out.logs).toEqual([{ level: 'WARN', message: 'hello Ada' }]);
    expect(out.outputs).toBeUndefined();
  });

  it('logs each message of a list at INFO by default', async () => {
    const out = await runTask(log, { message: ['five first', 'five second'] });
    expect(out.logs).toEqual([
      { level: 'INFO', message: 'five first' },
      { level: 'INFO', message: 'five second' },
    ]);
  });

  it('refuses a log level Kestra does not have', async () => {
    await expect(runTask(log, { message: 'x', level: 'LOUD' })).rejects.toThrow(/level/);
  });

  it('returns its rendered format as the value output', async () => {
    const out = await runTask(returnTask, { format: '{{ task.id }} > {{ 1 + 2 }}' });
    expect(out.outputs).toEqual({ value: 'task > 3' });
  });

  it('echoes its format into the log', async () => {
    const out = await runTask(echo, { format: "I'm before the fail on condition" });
    expect(out.logs).toEqual([{ level: 'INFO', message: "I'm before the fail on condition" }]);
  });

  it('outputs a rendered map of values', async () => {
    const out = await runTask(
      outputValues,
      { values: { output1: 'xyz', nested: { n: '{{ envs.region }}' } } },
      {
        envs: { region: 'eu' },
      },
    );
    expect(out.outputs).toEqual({ values: { output1: 'xyz', nested: { n: 'eu' } } });
  });

  it('fails with its error message, or "Task failure" by default', async () => {
    await expect(runTask(fail, { errorMessage: 'stop {{ "here" }}' })).rejects.toThrow('stop here');
    await expect(runTask(fail, {})).rejects.toThrow('Task failure');
  });

  it('fails only when its condition renders truthy', async () => {
    const condition = '{{ inputs.param == "fail" }}';
    await expect(runTask(fail, { condition }, { context: { inputs: { param: 'fail' } } })).rejects.toThrow();
    const out = await runTask(fail, { condition }, { context: { inputs: { param: 'success' } } });
    expect(out.state).toBeUndefined();
    expect([isTruthy('false'), isTruthy(' 0 '), isTruthy(''), isTruthy('true'), isTruthy('yes')]).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('fails a render error with the message of the expression engine', async () => {
    await expect(runTask(returnTask, { format: '{{ outputs.missing.value }}' })).rejects.toMatchObject({
      code: 'ROOST_EXPRESSION',
    });
  });
});

describe('task registry', () => {
  it('resolves a task by its type and by its old alias', () => {
    const registry = new TaskRegistry();
    expect(registry.resolve('io.kestra.plugin.core.log.Log')).toBe(log);
    expect(registry.resolve('io.kestra.core.tasks.log.Log')).toBe(log);
    expect(registry.resolve('io.kestra.core.tasks.debugs.Return')).toBe(returnTask);
  });

  it('names an unknown type in its error', () => {
    expect(() => new TaskRegistry().resolve('io.kestra.plugin.fancy.Thing')).toThrow(
      /io\.kestra\.plugin\.fancy\.Thing/,
    );
  });
});
