import { afterEach, describe, expect, it } from 'vitest';
import { renderDeep } from '../../protocol/expressions/index.ts';
import { silentLogger } from '../logger.ts';
import { BUILT_IN_TASKS, TaskRegistry } from '../tasks/registry.ts';
import type { TaskModule } from '../tasks/types.ts';
import { makeJob } from '../test-support/fixtures.ts';
import { RecordingSink } from '../test-support/recording-sink.ts';
import { Runner } from './runner.ts';

/** A task that runs until the test releases it (or it is killed), counting how many run at once. */
function gate() {
  const releases = new Map<string, () => void>();
  const started: string[] = [];
  const startWaiters: { name: string; resolve: () => void }[] = [];
  let running = 0;
  let peak = 0;
  const task: TaskModule = {
    type: 'test.Gate',
    run: (ctx) =>
      new Promise((resolve) => {
        const name = String(ctx.task.name);
        started.push(name);
        peak = Math.max(peak, ++running);
        const end = () => {
          running--;
          resolve({ outputs: { name } });
        };
        releases.set(name, end);
        ctx.signal.addEventListener('abort', end, { once: true });
        for (const w of startWaiters.filter((w) => w.name === name)) w.resolve();
      }),
  };
  /** resolves once the named task has started */
  const whenStarted = (name: string) =>
    started.includes(name)
      ? Promise.resolve()
      : new Promise<void>((resolve) => startWaiters.push({ name, resolve }));
  return { task, started, releases, whenStarted, peak: () => peak };
}

const runners: Runner[] = [];
function makeRunner(slots: number, extra: TaskModule[] = []) {
  const sink = new RecordingSink();
  const runner = new Runner({
    slots,
    sink,
    renderer: { renderDeep },
    logger: silentLogger,
    registry: new TaskRegistry([...BUILT_IN_TASKS, ...extra]),
    childEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  runners.push(runner);
  return { runner, sink };
}

afterEach(async () => {
  for (const runner of runners.splice(0)) {
    for (const ref of runner.held()) runner.kill(ref, 'test over');
    await runner.whenIdle();
  }
});

const gateJob = (name: string, slots = 1) => makeJob({ slots, task: { id: name, type: 'test.Gate', name } });

describe('runner', () => {
  it('never runs more jobs at once than it has slots', async () => {
    const g = gate();
    const { runner, sink } = makeRunner(2, [g.task]);
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((n) => gateJob(n));
    for (const job of jobs) runner.submit(job);
    await Promise.all([g.whenStarted('a'), g.whenStarted('b')]);
    expect(g.started).toEqual(['a', 'b']);
    expect(runner.slotsInUse).toBe(2);
    g.releases.get('a')?.();
    await g.whenStarted('c');
    expect(g.started).toEqual(['a', 'b', 'c']);
    for (const [i, name] of ['b', 'c', 'd', 'e'].entries()) {
      await g.whenStarted(name);
      g.releases.get(name)?.();
      await sink.result(jobs[i + 1]!.jobId);
    }
    await Promise.all(jobs.map((j) => sink.result(j.jobId)));
    expect(g.peak()).toBe(2);
    expect(runner.slotsInUse).toBe(0);
  });

  it('makes a job that weighs two slots wait until two are free, in arrival order', async () => {
    const g = gate();
    const { runner } = makeRunner(2, [g.task]);
    const light = gateJob('light');
    const heavy = gateJob('heavy', 2);
    const after = gateJob('after');
    runner.submit(light);
    runner.submit(heavy);
    runner.submit(after);
    await g.whenStarted('light');
    expect(runner.slotsInUse).toBe(1);
    g.releases.get('light')?.();
    await g.whenStarted('heavy');
    expect(g.started).toEqual(['light', 'heavy']);
    expect(runner.slotsInUse).toBe(2);
    g.releases.get('heavy')?.();
    await g.whenStarted('after');
    expect(g.started).toEqual(['light', 'heavy', 'after']);
  });

  it('fails a job heavier than the agent without running it', async () => {
    const { runner, sink } = makeRunner(2);
    const job = makeJob({ slots: 3 });
    runner.submit(job);
    const { result } = await sink.result(job.jobId);
    expect(result.state).toBe('FAILED');
    expect(result.error?.message).toMatch(/needs 3 slots/);
  });

  it('fails a task of an unknown type with an error naming the type', async () => {
    const { runner, sink } = makeRunner(1);
    const job = makeJob({ task: { id: 't', type: 'io.kestra.plugin.nope.Missing' } });
    runner.submit(job);
    const { result } = await sink.result(job.jobId);
    expect(result).toMatchObject({ state: 'FAILED', error: { code: 'ROOST_FLOW_UNKNOWN_TYPE' } });
    expect(result.error?.message).toContain('io.kestra.plugin.nope.Missing');
  });

  it('fails a task whose properties do not render, with the engine message', async () => {
    const { runner, sink } = makeRunner(1);
    const job = makeJob({
      task: { id: 't', type: 'io.kestra.plugin.core.debug.Return', format: '{{ nope.x }}' },
    });
    runner.submit(job);
    const { result } = await sink.result(job.jobId);
    expect(result).toMatchObject({ state: 'FAILED', error: { code: 'ROOST_EXPRESSION' } });
    expect(result.error?.message).toMatch(/nope/);
  });

  it('streams logs in numbered chunks of 100 lines and hands over the last one with the result', async () => {
    const { runner, sink } = makeRunner(1);
    const message = Array.from({ length: 250 }, (_, i) => `line ${i}`);
    const job = makeJob({ task: { id: 't', type: 'io.kestra.plugin.core.log.Log', message } });
    runner.submit(job);
    const { result, finalChunk } = await sink.result(job.jobId);
    expect(sink.chunks.map((c) => [c.seq, c.lines.length])).toEqual([
      [0, 100],
      [1, 100],
    ]);
    expect(finalChunk).toMatchObject({ seq: 2, lines: { length: 50 } });
    expect(finalChunk?.lines.at(-1)?.message).toBe('line 249');
    expect(result).toMatchObject({ state: 'SUCCESS', logChunks: 3 });
  });

  it('splits a log of long lines into chunks that fit in a message', async () => {
    const { runner, sink } = makeRunner(1);
    const message = Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(60_000, '.'));
    const job = makeJob({ task: { id: 't', type: 'io.kestra.plugin.core.log.Log', message } });
    runner.submit(job);
    const { finalChunk } = await sink.result(job.jobId);
    const chunks = [...sink.chunks, ...(finalChunk ? [finalChunk] : [])];
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.flatMap((c) => c.lines)).toHaveLength(40);
    for (const chunk of chunks) expect(JSON.stringify(chunk).length).toBeLessThan(1_200_000);
  });

  it('fails a task whose outputs would not fit in a result message', async () => {
    const { runner, sink } = makeRunner(1);
    const big = 'x'.repeat(4 * 1024 * 1024);
    const job = makeJob({
      task: { id: 't', type: 'io.kestra.plugin.core.output.OutputValues', values: { big } },
    });
    runner.submit(job);
    const { result } = await sink.result(job.jobId);
    expect(result).toMatchObject({ state: 'FAILED', outputs: {} });
    expect(result.error?.message).toMatch(/outputs take \d+ bytes/);
  });

  it('reports a killed running job as KILLED and a killed waiting job without starting it', async () => {
    const g = gate();
    const { runner, sink } = makeRunner(1, [g.task]);
    const running = gateJob('running');
    const waiting = gateJob('waiting');
    runner.submit(running);
    runner.submit(waiting);
    await g.whenStarted('running');
    expect(runner.kill(waiting, 'user asked')).toBe(true);
    expect(runner.kill(running, 'user asked')).toBe(true);
    const [r1, r2] = await Promise.all([sink.result(running.jobId), sink.result(waiting.jobId)]);
    expect(r1.result).toMatchObject({ state: 'KILLED', error: { message: 'killed: user asked' } });
    expect(r2.result.state).toBe('KILLED');
    expect(g.started).toEqual(['running']);
    expect(runner.kill(running, 'again')).toBe(false);
  });

  it('reports nothing for a dropped job', async () => {
    const g = gate();
    const { runner, sink } = makeRunner(1, [g.task]);
    const job = gateJob('dropped');
    runner.submit(job);
    await g.whenStarted('dropped');
    await runner.drop(job);
    expect(sink.finishedJobs).toEqual([]);
    expect(runner.held()).toEqual([]);
    expect(runner.slotsInUse).toBe(0);
  });

  it('starts nothing more once paused and keeps the waiting jobs', async () => {
    const g = gate();
    const { runner, sink } = makeRunner(1, [g.task]);
    const first = gateJob('first');
    const second = gateJob('second');
    runner.submit(first);
    runner.submit(second);
    await g.whenStarted('first');
    expect(runner.pause().map((j) => j.jobId)).toEqual([second.jobId]);
    g.releases.get('first')?.();
    await sink.result(first.jobId);
    await runner.whenIdle();
    expect(g.started).toEqual(['first']);
    expect(runner.held()).toEqual([{ jobId: second.jobId, attempt: 1 }]);
  });
});
