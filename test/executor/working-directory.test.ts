// WorkingDirectory: its children run one after another, the later ones pinned to the agent that took
// the first, all in the directory named by the WorkingDirectory's task run; a lost agent fails it.
import { describe, expect, it } from 'vitest';
import { simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';

const flow = (props = '') => yaml`
  tasks:
    - id: wd
      type: io.kestra.plugin.core.flow.WorkingDirectory
      workerGroup: { key: plant }
      ${props}
      tasks:
        - { id: one, type: ${LOG}, message: x }
        - { id: two, type: ${LOG}, message: x, workerGroup: { key: elsewhere } }
        - { id: off, type: ${LOG}, message: x, disabled: true }
      finally:
        - { id: after, type: ${LOG}, message: x }
`;

describe('WorkingDirectory', () => {
  it('runs its children in order in one directory, pinned to the agent of the first, in its worker group', async () => {
    const r = await simulate(flow(), { agent: (job) => (job.taskId === 'one' ? 'agent-7' : 'other') });
    const wd = r.run('wd').id;
    expect(r.jobs.map((j) => [j.taskId, j.workerGroup, j.pinnedAgentId, j.workingDirectory])).toEqual([
      ['one', 'plant', null, { id: wd, last: false }],
      ['two', 'plant', 'agent-7', { id: wd, last: true }],
      ['after', null, null, undefined],
    ]);
    expect(r.states).toEqual({ wd: 'SUCCESS', one: 'SUCCESS', two: 'SUCCESS', after: 'SUCCESS' });
  });

  it('fails without retry when the agent holding its directory is lost', async () => {
    const r = await simulate(flow('retry: { type: constant, interval: PT1S, maxAttempt: 3 }'), {
      outcome: (job) =>
        job.taskId === 'two'
          ? {
              state: 'FAILED',
              error: { message: 'agent lost', code: 'ROOST_AGENT_LOST' } as { message: string },
            }
          : { state: 'SUCCESS' },
    });
    expect(r.run('two').attempts).toHaveLength(1);
    expect(r.states).toMatchObject({ wd: 'FAILED', two: 'FAILED', after: 'SUCCESS' });
    expect(r.execution.state).toBe('FAILED');
  });

  it('retries a child that failed on its own, on the same agent', async () => {
    let failures = 0;
    const r = await simulate(flow('retry: { type: constant, interval: PT1S, maxAttempt: 2 }'), {
      outcome: (job) => ({ state: job.taskId === 'two' && failures++ === 0 ? 'FAILED' : 'SUCCESS' }),
    });
    expect(r.jobs.filter((j) => j.taskId === 'two').map((j) => j.pinnedAgentId)).toEqual(['a', 'a']);
    expect(r.states.wd).toBe('SUCCESS');
  });

  it('refuses the properties that need a namespace-files store or a cache, naming them', async () => {
    const r = await simulate(flow('cache: { patterns: ["*.txt"] }'));
    expect(r.states).toEqual({ wd: 'FAILED' });
    expect(r.logs[0]?.message).toBe("task 'wd': WorkingDirectory cache is not supported by Roost yet");
  });

  it('gives every child its inputFiles (written when the agent makes the directory) and the last its outputFiles', async () => {
    const r = await simulate(flow('inputFiles: { "in.txt": "{{ flow.id }}" }\n      outputFiles: ["*.csv"]'));
    const wd = r.run('wd').id;
    expect(r.jobs.filter((j) => j.workingDirectory).map((j) => [j.taskId, j.workingDirectory])).toEqual([
      ['one', { id: wd, last: false, inputFiles: { 'in.txt': '{{ flow.id }}' } }],
      ['two', { id: wd, last: true, inputFiles: { 'in.txt': '{{ flow.id }}' }, outputFiles: ['*.csv'] }],
    ]);
    expect(r.execution.state).toBe('SUCCESS');
  });

  it("moves the files the last child's agent collected to the WorkingDirectory's outputFiles output", async () => {
    const uri = 'kestra:///t/f/executions/e1/tasks/two/r/out.csv';
    const r = await simulate(flow('outputFiles: ["*.csv"]'), {
      outcome: (job) =>
        job.taskId === 'two'
          ? { state: 'SUCCESS', outputs: { own: 1, $workingDirectory: { outputFiles: { 'out.csv': uri } } } }
          : job.taskId === 'one'
            ? { state: 'SUCCESS', outputs: { $workingDirectory: { outputFiles: { 'forged.csv': uri } } } }
            : { state: 'SUCCESS' },
    });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.run('wd').outputs).toEqual({ outputFiles: { 'out.csv': uri } });
    expect(r.run('two').outputs).toEqual({ own: 1 });
    // only the last child speaks for the directory: another's claim is dropped
    expect(r.run('one').outputs).toEqual({});
  });
});
