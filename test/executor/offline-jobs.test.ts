// Which jobs are offline-capable: a task's `offline: true`, also when pluginDefaults set it. A task that
// says nothing leaves it out: the repository then applies its worker group's default (worker-groups test).
import { describe, expect, it } from 'vitest';
import { decide, planFlow } from '../../control-plane/executor/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { executionRow, START, yaml } from './simulate.ts';

function firstJobs(source: string) {
  const plan = planFlow(parseFlow(source), 1);
  const execution = executionRow();
  return decide(plan, execution, [], { type: 'start' }, START).jobs;
}

describe('offline-capable jobs', () => {
  it('marks the job of a task with offline: true or false, and leaves it to the group for the others', () => {
    const jobs = firstJobs(yaml`
      tasks:
        - id: all
          type: io.kestra.plugin.core.flow.Parallel
          tasks:
            - { id: away, type: io.kestra.plugin.core.log.Log, message: a, offline: true }
            - { id: here, type: io.kestra.plugin.core.log.Log, message: b, offline: false }
            - { id: unsaid, type: io.kestra.plugin.core.log.Log, message: c }
    `);
    expect(jobs.map((j) => [j.payload.task.id, j.offline])).toEqual([
      ['away', true],
      ['here', false],
      ['unsaid', undefined],
    ]);
  });

  it('takes offline: true from pluginDefaults, for every task of a type', () => {
    const jobs = firstJobs(yaml`
      tasks:
        - { id: away, type: io.kestra.plugin.core.log.Log, message: a }
      pluginDefaults:
        - type: io.kestra.plugin.core.log.Log
          values:
            offline: true
    `);
    expect(jobs.map((j) => j.offline)).toEqual([true]);
  });

  it('refuses an offline value that is not a boolean, naming the task', () => {
    expect(() =>
      firstJobs(yaml`
        tasks:
          - { id: away, type: io.kestra.plugin.core.log.Log, message: a, offline: sometimes }
      `),
    ).toThrow(/offline/);
  });
});
