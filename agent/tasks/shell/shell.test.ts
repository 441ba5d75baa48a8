import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTask, type TaskRun } from '../../test-support/task-harness.ts';
import { processGone, waitUntil } from '../../test-support/wait.ts';
import { commands, script } from './commands.ts';
import { parseOutputLine } from './output-line.ts';

const runs: TaskRun[] = [];
function start(...args: Parameters<typeof startTask>): TaskRun {
  const run = startTask(...args);
  runs.push(run);
  return run;
}
async function run(...args: Parameters<typeof startTask>) {
  const r = start(...args);
  return { ...(await r.outcome), logs: r.logs };
}

afterEach(async () => {
  for (const r of runs.splice(0)) {
    r.kill();
    await r.outcome.catch(() => undefined);
    rmSync(r.workRoot, { recursive: true, force: true });
  }
});

describe('shell Commands task', () => {
  it('logs stdout lines as INFO and stderr lines as ERROR', async () => {
    const out = await run(commands, { commands: ['echo out', 'echo err >&2'] });
    expect(out.state).toBeUndefined();
    expect(out.outputs).toEqual({ exitCode: 0, vars: {} });
    expect(out.logs).toEqual([
      { level: 'INFO', message: 'out' },
      { level: 'ERROR', message: 'err' },
    ]);
  });

  it('stops at the first failing command and reports its exit code', async () => {
    const out = await run(commands, { commands: ['echo one', 'exit 3', 'echo never'] });
    expect(out.state).toBe('FAILED');
    expect(out.error?.message).toBe('Command failed with exit code 3');
    expect(out.outputs).toEqual({ exitCode: 3, vars: {} });
    expect(out.logs.map((l) => l.message)).toEqual(['one']);
  });

  it('runs on after a failing command when failFast is false', async () => {
    const out = await run(commands, { failFast: false, commands: ['false', 'echo still here'] });
    expect(out.state).toBeUndefined();
    expect(out.logs.map((l) => l.message)).toEqual(['still here']);
  });

  it('merges ::{"outputs":...}:: lines into the vars output', async () => {
    const out = await run(commands, {
      commands: [`echo '::{"outputs":{"a":1,"b":"x"}}::'`, `echo '::{"outputs":{"b":"y"}}::'`],
    });
    expect(out.outputs).toEqual({ exitCode: 0, vars: { a: 1, b: 'y' } });
  });

  it('runs beforeCommands first and passes the rendered env map', async () => {
    const out = await run(
      commands,
      {
        beforeCommands: ['GREETING=hi'],
        env: { WHO: '{{ inputs.who }}', N: 2 },
        commands: ['echo "$GREETING $WHO $N"'],
      },
      { context: { inputs: { who: 'Ada' } } },
    );
    expect(out.logs.map((l) => l.message)).toEqual(['hi Ada 2']);
  });

  it('runs in a fresh working directory that is removed afterwards', async () => {
    const out = await run(commands, { commands: ['pwd', 'ls -A | wc -l', 'touch left-behind'] });
    const [dir, count] = out.logs.map((l) => l.message);
    expect(count?.trim()).toBe('0');
    expect(dir && existsSync(dir)).toBe(false);
  });

  it('uses the given interpreter', async () => {
    const out = await run(commands, { interpreter: ['/bin/sh', '-c'], commands: 'echo "$0"' });
    expect(out.logs.map((l) => l.message)).toEqual(['/bin/sh']);
  });

  it('fails clearly when the interpreter does not exist', async () => {
    await expect(
      run(commands, { interpreter: ['/no/such/shell', '-c'], commands: ['true'] }),
    ).rejects.toThrow(/could not start \/no\/such\/shell/);
  });

  it('kills the whole process group, children included, when aborted', async () => {
    const task = start(commands, {
      commands: ['sleep 60 &', 'echo "child $!"', 'wait'],
    });
    const child = Number((await task.line(/^child \d+$/)).split(' ')[1]);
    expect(processGone(child)).toBe(false);
    task.kill();
    const out = await task.outcome;
    expect(out.state).toBe('FAILED');
    await waitUntil(() => processGone(child), `child ${child} is gone`);
  });

  it('sends SIGKILL after the grace period to a group that ignores SIGTERM', async () => {
    const task = start(
      commands,
      { commands: [`trap '' TERM`, 'sleep 60 &', 'echo "child $!"', 'while true; do wait; done'] },
      { killGraceMs: 100 },
    );
    const child = Number((await task.line(/^child \d+$/)).split(' ')[1]);
    task.kill();
    await task.outcome;
    await waitUntil(() => processGone(child), `child ${child} is gone`);
  });
});

describe('shell Script task', () => {
  it('writes the rendered script to a file and runs it', async () => {
    const out = await run(script, { script: 'echo "script {{ 40 + 2 }}"\nexit 0' });
    expect(out.logs.map((l) => l.message)).toEqual(['script 42']);
    expect(out.outputs).toEqual({ exitCode: 0, vars: {} });
  });

  it('fails with the exit code of the script', async () => {
    const out = await run(script, { script: 'exit 7' });
    expect(out.error?.message).toBe('Command failed with exit code 7');
  });
});

describe('script output lines', () => {
  it('parses only well-formed ::{...}:: lines', () => {
    expect(parseOutputLine('::{"outputs":{"x":1}}::')).toEqual({ outputs: { x: 1 } });
    expect(parseOutputLine('  ::{"outputs":{"x":1}}::  ')).toEqual({ outputs: { x: 1 } });
    expect(parseOutputLine('::{not json}::')).toBeUndefined();
    expect(parseOutputLine('hello')).toBeUndefined();
    expect(parseOutputLine('::{"metrics":[]}::')).toEqual({});
  });
});
