// Conformance: Kestra's own example flows, read from ../shared/kestra-flows/valids at test time, run
// through the executor with the agent's core tasks, end as Kestra ends them (state, task runs, outputs).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHost } from '../../control-plane/executor/index.ts';
import { validateFlowSource } from '../../protocol/flow/index.ts';
import { runOnAgent } from './corpus-agent.ts';
import { EXPECTED, KESTRA_TEST_ENV, KESTRA_TEST_GLOBALS } from './corpus-table.ts';
import { simulate } from './simulate.ts';

/** Flows that use only ready types but are not run here, and why. */
const SKIPPED: Record<string, string> = {
  'for-each-item-outputs-subflow.yaml':
    "a ForEachItem child (ForEachItem is not in Roost): run as a Subflow given its parent's file in test/e2e/files.test.ts",
  'inputs-large.yaml': 'FILE inputs and internal storage',
  'kv.yaml': 'kv() and the KV store',
  'retry-new-execution-flow-attempts.yml': 'a chain of executions: run in retry-new-execution.test.ts',
  'retry-new-execution-flow-duration.yml': 'a chain of executions: run in retry-new-execution.test.ts',
  'retry-new-execution-task-attempts.yml': 'a chain of executions: run in retry-new-execution.test.ts',
  'retry-new-execution-task-duration.yml': 'a chain of executions: run in retry-new-execution.test.ts',
  'working-directory-taskrun.yml':
    'taskrun.value below a flowable inside a loop: Kestra gives the children the loop value, Roost not yet',
  'working-directory-taskrun-nested.yml': "Kestra's workerTaskrun variable",
};

/** Without I/O a FILE input is only its URI. */
const simulatedFiles = (files: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.keys(files).map((name) => [name, `kestra:///sim/executions/e1/inputs/${name}/${name}`]),
  );

const VALIDS = new URL('../../../shared/kestra-flows/valids/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, VALIDS), 'utf8');

/** The valid flows whose every type Roost runs today (validation without planned types passes). */
const runnable = readdirSync(VALIDS)
  .sort()
  .filter((file) => validateFlowSource(read(file)).flow !== undefined);

describe('conformance: Kestra flows end as in Kestra', () => {
  it.each(Object.entries(EXPECTED))('%s', async (file, expected) => {
    const r = await simulate(read(file), {
      inputs: { ...expected.inputs, ...simulatedFiles(expected.files) },
      flows: (expected.flows ?? []).map(read),
      outcome: (job) => expected.answer?.(job) ?? runOnAgent(job, KESTRA_TEST_ENV),
      host: renderHost(KESTRA_TEST_ENV, KESTRA_TEST_GLOBALS),
    });
    if (expected.resume) {
      expect(r.execution.state).toBe('PAUSED');
      await r.send(expected.resume);
    }
    expect({ state: r.execution.state, count: r.count }).toEqual({
      state: expected.state,
      count: expected.count,
    });
    for (const [taskId, attempts] of Object.entries(expected.attempts ?? {})) {
      expect(r.run(taskId).attempts, `attempts of ${taskId}`).toHaveLength(attempts);
    }
    for (const [taskId, state] of Object.entries(expected.states ?? {})) {
      expect(r.runsOf(taskId).at(-1)?.state, `state of ${taskId}`).toBe(state);
    }
    for (const [taskId, outputs] of Object.entries(expected.taskOutputs ?? {})) {
      expect(r.runsOf(taskId).at(-1)?.outputs, `outputs of ${taskId}`).toEqual(outputs);
    }
    if (expected.outputs !== undefined) expect(r.execution.outputs).toEqual(expected.outputs);
    expected.check?.(r);
  });

  it('has an expectation, or a reason to skip, for every flow that uses only ready types', () => {
    const covered = new Set([...Object.keys(EXPECTED), ...Object.keys(SKIPPED)]);
    expect(runnable.filter((file) => !covered.has(file))).toEqual([]);
    expect([...covered].filter((file) => !runnable.includes(file))).toEqual([]);
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(40);
  });
});
