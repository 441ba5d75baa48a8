// The bench's own arithmetic (pure logic): percentiles, and how a Parallel execution is read into
// a sample. The figures themselves are never asserted: a bench is not a test.
import { describe, expect, it } from 'vitest';
import { validateFlowSource } from '../../protocol/flow/index.ts';
import type { BenchAgent } from './harness.ts';
import { measureParallel, parallelFlow } from './parallel.ts';
import { percentile } from './report.ts';
import type { ExecutionJson, TaskRunJson } from './sequential.ts';

const agents = [
  { id: 'agent-a', name: 'tcp-1' },
  { id: 'agent-b', name: 'tcp-2' },
] as BenchAgent[];

function run(taskId: string, agentIds: string[], state = 'SUCCESS'): TaskRunJson {
  return {
    taskId,
    state: { current: state, histories: [], startDate: '2026-01-01T00:00:00.000Z' },
    attempts: agentIds.map((agentId) => ({ agentId, state: { startDate: '2026-01-01T00:00:00.000Z' } })),
  };
}

function execution(runs: TaskRunJson[], current = 'SUCCESS'): ExecutionJson {
  return {
    id: 'e1',
    state: {
      current,
      histories: [],
      startDate: '2026-01-01T00:00:00.000Z',
      endDate: '2026-01-01T00:00:02.000Z',
    },
    taskRunList: [run('all', []), ...runs],
  };
}

describe('percentile', () => {
  it('takes the nearest rank, so p50 and p99 of 200 values are the 100th and the 198th', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(percentile(values, 50)).toBe(100);
    expect(percentile(values, 99)).toBe(198);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('the parallel scenario', () => {
  it('writes a flow Roost accepts: one Parallel of the requested number of Return tasks', () => {
    const validation = validateFlowSource(parallelFlow(200));
    expect(validation.errors ?? []).toEqual([]);
    expect(parallelFlow(200).match(/core\.debug\.Return/g)).toHaveLength(200);
  });

  it('counts each task run for the agent of its last attempt, and the rate from the execution dates', () => {
    const sample = measureParallel(
      execution([run('p000', ['agent-a']), run('p001', ['agent-a', 'agent-b']), run('p002', ['agent-b'])]),
      3,
      agents,
    );
    expect(sample.perAgent).toEqual({ 'tcp-1': 1, 'tcp-2': 2 });
    expect(sample.attempts).toBe(4);
    expect(sample.totalMs).toBe(2000);
    expect(sample.tasksPerSecond).toBe(1.5);
  });

  it('refuses an execution that did not succeed or lacks task runs, naming it', () => {
    expect(() => measureParallel(execution([run('p000', ['agent-a'])], 'FAILED'), 1, agents)).toThrow(
      /e1: ended FAILED/,
    );
    expect(() => measureParallel(execution([run('p000', ['agent-a'])]), 2, agents)).toThrow(
      /1 task runs of Return, expected 2/,
    );
    expect(() => measureParallel(execution([run('p000', ['agent-a'], 'FAILED')]), 1, agents)).toThrow(
      /task p000 ended FAILED/,
    );
  });
});
