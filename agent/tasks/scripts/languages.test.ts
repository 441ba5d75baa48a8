// Python and Node.js script tasks, run by the host's interpreters.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryFiles } from '../../test-support/memory-files.ts';
import { startTask, type TaskRun } from '../../test-support/task-harness.ts';
import { languageTasks, nodeCommands, nodeScript, pythonCommands, pythonScript } from './languages.ts';

const runs: TaskRun[] = [];
async function run(...args: Parameters<typeof startTask>) {
  const r = startTask(...args);
  runs.push(r);
  return { ...(await r.outcome), logs: r.logs.map((l) => l.message) };
}
afterEach(() => {
  for (const r of runs.splice(0)) rmSync(r.workRoot, { recursive: true, force: true });
});

describe('python tasks', () => {
  it('runs a Script with python and reads its ::{"outputs"}:: line', async () => {
    const out = await run(pythonScript, {
      script:
        'import json\nprint("sum", {{ 1 + 2 }})\nprint("::" + json.dumps({"outputs": {"answer": 42}}) + "::")',
    });
    expect(out.logs).toEqual(['sum 3']);
    expect(out.outputs).toEqual({ exitCode: 0, vars: { answer: 42 } });
  });

  it('runs Commands with inputFiles and outputFiles, `python` standing for python3', async () => {
    const files = memoryFiles();
    const out = await run(
      pythonCommands,
      {
        inputFiles: { 'main.py': 'open("out.txt", "w").write("made by python")\nprint("ok")' },
        commands: ['python main.py'],
        outputFiles: ['out.txt'],
      },
      { files },
    );
    expect(out.logs).toEqual(['ok']);
    const uri = (out.outputs?.outputFiles as Record<string, string> | undefined)?.['out.txt'];
    expect(uri).toBe('kestra:///ns/flow/executions/E/tasks/task/TR/out.txt');
    expect(files.stored.get(uri ?? '')).toBe('made by python');
  });

  it('fails with the exit code of a failing script', async () => {
    const r = startTask(pythonScript, { script: 'import sys\nsys.exit(4)' });
    runs.push(r);
    const out = await r.outcome;
    expect(out.state).toBe('FAILED');
    expect(out.error?.message).toBe('Command failed with exit code 4');
  });

  it('says so when the interpreter is missing on the agent', async () => {
    const missing = languageTasks({ pkg: 'python', programs: ['no-such-python3'] });
    await expect(run(missing.script, { script: 'print(1)' })).rejects.toThrow(
      'Python is not installed on this agent: none of no-such-python3 is on its PATH',
    );
  });

  it('warns that containerImage and dependencies are not used', async () => {
    const out = await run(pythonScript, {
      containerImage: 'python:3.12',
      dependencies: ['pandas'],
      script: 'print("hi")',
    });
    expect(out.logs).toEqual([
      'dependencies are not installed by Roost agents (pandas): install them on the agent host',
      'containerImage is ignored: Roost agents run scripts as host processes (Process task runner)',
      'hi',
    ]);
  });
});

describe('node tasks', () => {
  it('runs a Script with node', async () => {
    const out = await run(nodeScript, {
      script:
        'console.log("node", {{ 6 * 7 }});\nconsole.log("::" + JSON.stringify({ outputs: { ok: true } }) + "::");',
    });
    expect(out.logs).toEqual(['node 42']);
    expect(out.outputs).toEqual({ exitCode: 0, vars: { ok: true } });
  });

  it('runs Commands with env', async () => {
    const out = await run(nodeCommands, {
      env: { WHO: 'Ada' },
      commands: [`node -e 'console.log("hi " + process.env.WHO)'`],
    });
    expect(out.logs).toEqual(['hi Ada']);
  });
});
