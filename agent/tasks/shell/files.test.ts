// Script task properties that deal with files: inputFiles, outputFiles, outputDir, internal storage URIs.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryFiles } from '../../test-support/memory-files.ts';
import { startTask, type TaskRun } from '../../test-support/task-harness.ts';
import { globToRegExp } from '../files/glob.ts';
import { commands, script } from './commands.ts';

const runs: TaskRun[] = [];
async function run(...args: Parameters<typeof startTask>) {
  const r = startTask(...args);
  runs.push(r);
  return { ...(await r.outcome), logs: r.logs.map((l) => l.message) };
}
afterEach(() => {
  for (const r of runs.splice(0)) rmSync(r.workRoot, { recursive: true, force: true });
});

const INPUT = 'kestra:///ns/flow/executions/E/inputs/data/data.csv';

describe('script files', () => {
  it('writes inputFiles, downloading kestra:/// values, and renders them', async () => {
    const files = memoryFiles({ [INPUT]: 'a,b\n' });
    const out = await run(
      commands,
      {
        inputFiles: { 'main.sh': 'echo "hello {{ inputs.who }}"', 'in/data.csv': '{{ inputs.data }}' },
        commands: ['sh main.sh', 'cat in/data.csv'],
      },
      { files, context: { inputs: { who: 'Ada', data: INPUT } } },
    );
    expect(out.state).toBeUndefined();
    expect(out.logs).toEqual(['hello Ada', 'a,b']);
  });

  it('accepts inputFiles as a JSON string of a map', async () => {
    const out = await run(commands, { inputFiles: '{"x.txt":"from json"}', commands: ['cat x.txt'] });
    expect(out.logs).toEqual(['from json']);
  });

  it('refuses inputFiles names that leave the working directory', async () => {
    await expect(run(commands, { inputFiles: { '../escape.txt': 'x' }, commands: ['true'] })).rejects.toThrow(
      "property 'inputFiles': '../escape.txt' must be a relative path inside the working directory",
    );
    await expect(run(commands, { inputFiles: { '/etc/x': 'x' }, commands: ['true'] })).rejects.toThrow(
      'must be a relative path',
    );
  });

  it('replaces internal storage URIs in commands by local copies, as Kestra does', async () => {
    const files = memoryFiles({ [INPUT]: 'one\ntwo\n' });
    const out = await run(
      commands,
      { commands: ['wc -l < {{ inputs.data }}'] },
      {
        files,
        context: { inputs: { data: INPUT } },
      },
    );
    expect(out.logs.map((l) => l.trim())).toEqual(['2']);
  });

  it('uploads the files matching outputFiles and gives their URIs by name', async () => {
    const files = memoryFiles();
    const out = await run(
      commands,
      {
        outputFiles: ['*.txt', 'out/**'],
        commands: ['echo a > a.txt', 'echo b > b.csv', 'mkdir -p out/deep', 'echo c > out/deep/c.json'],
      },
      { files },
    );
    expect(out.outputs?.outputFiles).toEqual({
      'a.txt': 'kestra:///ns/flow/executions/E/tasks/task/TR/a.txt',
      'out/deep/c.json': 'kestra:///ns/flow/executions/E/tasks/task/TR/out/deep/c.json',
    });
    expect(files.stored.get('kestra:///ns/flow/executions/E/tasks/task/TR/out/deep/c.json')).toBe('c\n');
  });

  it('uploads what the task writes to {{ outputDir }}, and offers {{ workingDir }}', async () => {
    const files = memoryFiles();
    const out = await run(
      script,
      { script: 'echo "{{ workingDir }}" > {{ outputDir }}/where.txt\npwd' },
      { files },
    );
    const [pwd] = out.logs;
    expect(out.outputs?.outputFiles).toEqual({
      'where.txt': 'kestra:///ns/flow/executions/E/tasks/task/TR/where.txt',
    });
    expect(files.stored.get('kestra:///ns/flow/executions/E/tasks/task/TR/where.txt')).toBe(`${pwd}\n`);
  });

  it('uploads nothing when the command fails', async () => {
    const files = memoryFiles();
    const out = await run(
      commands,
      { outputFiles: ['*.txt'], commands: ['echo a > a.txt', 'exit 2'] },
      { files },
    );
    expect(out.state).toBe('FAILED');
    expect(files.stored.size).toBe(0);
  });

  it('fails clearly when an input file cannot be downloaded', async () => {
    await expect(
      run(commands, { inputFiles: { 'x.csv': INPUT }, commands: ['true'] }, { files: memoryFiles() }),
    ).rejects.toThrow(`could not download ${INPUT}`);
  });

  it('fails clearly when the agent has no way to reach internal storage', async () => {
    await expect(run(commands, { inputFiles: { 'x.csv': INPUT }, commands: ['true'] })).rejects.toThrow(
      'this agent has no control-plane HTTP URL for files',
    );
  });

  it('hides ::{...}:: lines from the log, metrics included', async () => {
    const out = await run(commands, {
      commands: [
        `echo '::{"outputs":{"n":1}}::'`,
        `echo '::{"metrics":[{"name":"m","type":"counter","value":1}]}::'`,
        'echo done',
      ],
    });
    expect(out.outputs?.vars).toEqual({ n: 1 });
    expect(out.logs).toEqual(['done']);
  });

  it('logs a warning and runs on the host when a container runner is asked for', async () => {
    const out = await run(commands, {
      taskRunner: { type: 'io.kestra.plugin.scripts.runner.docker.Docker' },
      commands: ['echo ran'],
    });
    expect(out.logs).toEqual([
      'taskRunner io.kestra.plugin.scripts.runner.docker.Docker is not available on Roost agents: the task runs as a host process (Process)',
      'ran',
    ]);
    const quiet = await run(commands, {
      taskRunner: { type: 'io.kestra.plugin.core.runner.Process' },
      commands: ['echo ok'],
    });
    expect(quiet.logs).toEqual(['ok']);
  });
});

describe('read() in expressions', () => {
  it('renders the content of an internal storage file, fetched before the task runs', async () => {
    const files = memoryFiles({ [INPUT]: 'inside' });
    const out = await run(
      commands,
      { commands: [`echo "{{ read(inputs.data) }}"`] },
      {
        files,
        context: { inputs: { data: INPUT } },
      },
    );
    expect(out.logs).toEqual(['inside']);
  });

  it('follows reads that depend on other reads', async () => {
    const files = memoryFiles({
      [INPUT]: 'kestra:///ns/flow/executions/E/inputs/b/b.txt',
      'kestra:///ns/flow/executions/E/inputs/b/b.txt': 'second',
    });
    const out = await run(
      commands,
      { commands: [`echo "{{ read(read(inputs.data)) }}"`] },
      {
        files,
        context: { inputs: { data: INPUT } },
      },
    );
    expect(out.logs).toEqual(['second']);
  });

  it('fails the task naming the file it could not read', async () => {
    await expect(
      run(commands, { commands: [`echo "{{ read('${INPUT}') }}"`] }, { files: memoryFiles() }),
    ).rejects.toThrow(`could not download ${INPUT}`);
  });
});

describe('output file globs', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'd/a.txt', false],
    ['**/*.txt', 'd/e/a.txt', true],
    ['**/*.txt', 'a.txt', true],
    ['out/**', 'out/x/y', true],
    ['report-?.csv', 'report-1.csv', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });
});
