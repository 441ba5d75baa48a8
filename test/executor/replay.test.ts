// Replay: a new execution of an ended one, with copies of the task runs before the chosen one.
import { describe, expect, it } from 'vitest';
import { replayOf, replayRefusal } from '../../control-plane/executor/replay.ts';
import type { ExecutionRow } from '../../control-plane/repository/index.ts';
import { type SimOptions, Simulation, simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FLOW = 'io.kestra.plugin.core.flow';

/** Replays the simulated execution from `taskRunId` and runs the new execution to its end. */
async function replayed(
  source: string,
  original: Simulation,
  taskRunId: string | undefined,
  options: SimOptions,
) {
  const replay = replayOf(original.execution, [...original.runs.values()], taskRunId, original.now);
  const next = new Simulation(source, options);
  next.now = original.now;
  next.execution = {
    outputs: null,
    error: null,
    version: 1,
    endDate: null,
    ...replay.execution,
  } as ExecutionRow;
  for (const run of replay.taskRuns) next.runs.set(run.id, run);
  return next.send({ type: 'start' });
}

describe('replay', () => {
  const source = yaml`
    tasks:
      - { id: a, type: ${LOG}, message: x }
      - { id: b, type: ${LOG}, message: x }
      - { id: c, type: ${LOG}, message: x }
  `;

  it('copies the task runs before the chosen one into a new execution and runs from it', async () => {
    let broken = true;
    const options: SimOptions = {
      outcome: (job) => ({ state: job.taskId === 'b' && broken ? 'FAILED' : 'SUCCESS', outputs: { n: 1 } }),
    };
    const original = await simulate(source, options);
    expect(original.execution.state).toBe('FAILED');
    const before = structuredClone([...original.runs.values()]);
    broken = false;
    const r = await replayed(source, original, original.run('b').id, options);
    expect(r.execution.id).not.toBe(original.execution.id);
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.execution.originalId).toBe(original.execution.id);
    expect(r.execution.labels['system.replay']).toBe('true');
    expect(r.order).toEqual(['b', 'c']);
    const a = r.run('a');
    expect(a.id).not.toBe(original.run('a').id);
    expect(a.executionId).toBe(r.execution.id);
    expect(a).toMatchObject({ state: 'SUCCESS', outputs: { n: 1 }, attempts: original.run('a').attempts });
    expect(r.run('b').attempts).toHaveLength(1);
    // the original is left as it was
    expect([...original.runs.values()]).toEqual(before);
  });

  it('opens the flowable task runs above the chosen one again and keeps their earlier children', async () => {
    const nested = yaml`
      tasks:
        - id: seq
          type: ${FLOW}.Sequential
          tasks:
            - { id: s1, type: ${LOG}, message: x }
            - { id: s2, type: ${LOG}, message: x }
        - { id: after, type: ${LOG}, message: x }
    `;
    const original = await simulate(nested);
    const r = await replayed(nested, original, original.run('s2').id, {});
    expect(r.order).toEqual(['s2', 'after']);
    expect(r.historyOf('seq')).toEqual(['CREATED', 'RUNNING', 'SUCCESS', 'RUNNING', 'SUCCESS']);
    expect(r.run('s2').parentTaskRunId).toBe(r.run('seq').id);
    expect(r.run('s1').parentTaskRunId).toBe(r.run('seq').id);
    expect(r.count).toBe(4);
  });

  it('runs the whole flow again when no task run is chosen, with the same inputs', async () => {
    const withInput = `${source}\ninputs:\n  - { id: who, type: STRING, defaults: nobody }\n`;
    const original = await simulate(withInput, { inputs: { who: 'ann' } });
    const r = await replayed(withInput, original, undefined, {});
    expect(r.order).toEqual(['a', 'b', 'c']);
    expect(r.execution.inputs).toEqual({ who: 'ann' });
    expect(r.jobs[0]?.context.inputs).toEqual({ who: 'ann' });
  });

  it('links a replay of a replay to the first execution of the chain', async () => {
    const original = await simulate(source);
    const first = await replayed(source, original, original.run('c').id, {});
    const second = await replayed(source, first, first.run('c').id, {});
    expect(second.execution.originalId).toBe(original.execution.id);
  });

  it('refuses an execution still running, and a task run of another execution', async () => {
    const original = await simulate(source, { outcome: () => 'hang' });
    const runs = [...original.runs.values()];
    expect(replayRefusal(original.execution, runs, undefined)).toEqual({
      code: 'ROOST_CONFLICT',
      message: 'execution e1 is RUNNING: only an ended execution can be replayed',
    });
    expect(replayRefusal({ id: 'e1', state: 'FAILED' }, runs, 'x1')).toEqual({
      code: 'ROOST_NOT_FOUND',
      message: 'task run x1 is not a task run of execution e1',
    });
  });
});
