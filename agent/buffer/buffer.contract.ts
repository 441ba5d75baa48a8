// The one contract suite every AgentBuffer implementation passes (run by buffer.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeJob, makeLogs, makeResult } from '../test-support/fixtures.ts';
import { type AgentBuffer, logsKey, resultKey } from './types.ts';

export interface BufferHarness {
  /** opens an empty buffer that remembers 2 acknowledged jobs */
  open(): Promise<AgentBuffer>;
  /** Opens the same store again after `close` (durable implementations only). */
  reopen?: () => Promise<AgentBuffer>;
  cleanup?: () => Promise<void>;
}

export function bufferContract(name: string, harness: BufferHarness): void {
  describe(`${name} agent buffer`, () => {
    let buffer: AgentBuffer;
    beforeEach(async () => {
      buffer = await harness.open();
    });
    afterEach(async () => {
      await buffer.close();
      await harness.cleanup?.();
    });

    it('stores a job once and says whether it was new', async () => {
      const job = makeJob();
      expect(await buffer.putJob(job)).toBe(true);
      expect(await buffer.putJob({ ...job, id: 'redelivered' })).toBe(false);
      expect(await buffer.putJob({ ...job, attempt: 2 })).toBe(true);
      const held = await buffer.heldJobs();
      expect(held.map((e) => [e.job.jobId, e.job.attempt])).toEqual([
        [job.jobId, 1],
        [job.jobId, 2],
      ]);
      expect((await buffer.getJob(job))?.job).toEqual(job);
    });

    it('tracks a job from accepted through running to finished, when it is no longer held', async () => {
      const job = makeJob();
      await buffer.putJob(job);
      expect((await buffer.getJob(job))?.state).toBe('accepted');
      await buffer.markRunning(job);
      expect((await buffer.heldJobs())[0]?.state).toBe('running');
      await buffer.markFinished(job);
      expect(await buffer.heldJobs()).toEqual([]);
      expect((await buffer.getJob(job))?.state).toBe('finished');
      await buffer.removeJob(job);
      expect(await buffer.getJob(job)).toBeUndefined();
    });

    it('lists outbox entries in insertion order and removes exactly the acknowledged one', async () => {
      const a = makeJob();
      const b = makeJob();
      await buffer.putJob(a);
      await buffer.putJob(b);
      await buffer.appendLogs(makeLogs(a, 0));
      await buffer.appendLogs(makeLogs(b, 0));
      await buffer.appendLogs(makeLogs(a, 1));
      const keys = (await buffer.pendingOutbox()).map((e) => e.key);
      expect(keys).toEqual([logsKey(a.jobId, 1, 0), logsKey(b.jobId, 1, 0), logsKey(a.jobId, 1, 1)]);
      expect(await buffer.removeOutbox(logsKey(a.jobId, 1, 0))).toBe(true);
      expect(await buffer.removeOutbox(logsKey(a.jobId, 1, 0))).toBe(false);
      expect((await buffer.pendingOutbox()).map((e) => e.key)).toEqual(keys.slice(1));
      expect(await buffer.outboxSize()).toBe(2);
      expect((await buffer.getJob(a))?.logChunks).toBe(2);
    });

    it('finishes a job with its last log chunk and its result together', async () => {
      const job = makeJob();
      await buffer.putJob(job);
      await buffer.markRunning(job);
      await buffer.appendLogs(makeLogs(job, 0));
      const result = makeResult(job, { state: 'FAILED', error: { message: 'boom' }, logChunks: 2 });
      await buffer.finishJob(job, makeLogs(job, 1), result);
      const pending = await buffer.pendingOutbox();
      expect(pending.map((e) => e.key)).toEqual([
        logsKey(job.jobId, 1, 0),
        logsKey(job.jobId, 1, 1),
        resultKey(job.jobId, 1),
      ]);
      expect(pending[2]).toEqual({ key: resultKey(job.jobId, 1), kind: 'result', message: result });
      expect(await buffer.heldJobs()).toEqual([]);
      expect((await buffer.getJob(job))?.logChunks).toBe(2);
    });

    it('still answers for a finished job until its result is acknowledged', async () => {
      const waiting = makeJob();
      const done = makeJob();
      for (const job of [waiting, done]) {
        await buffer.putJob(job);
        await buffer.markRunning(job);
      }
      await buffer.finishJob(done, undefined, makeResult(done));
      expect((await buffer.unsettledJobs()).map((e) => [e.job.jobId, e.state])).toEqual([
        [waiting.jobId, 'running'],
        [done.jobId, 'finished'],
      ]);
      await buffer.acknowledgeResult(done);
      expect((await buffer.unsettledJobs()).map((e) => e.job.jobId)).toEqual([waiting.jobId]);
    });

    it('drops an acknowledged result but remembers the job, so a late redelivery is not new', async () => {
      const job = makeJob();
      await buffer.putJob(job);
      await buffer.finishJob(job, makeLogs(job, 0), makeResult(job));
      await buffer.acknowledgeResult(job);
      expect((await buffer.pendingOutbox()).map((e) => e.key)).toEqual([logsKey(job.jobId, 1, 0)]);
      expect(await buffer.heldJobs()).toEqual([]);
      expect((await buffer.getJob(job))?.state).toBe('acknowledged');
      expect(await buffer.putJob(job)).toBe(false);
    });

    it('remembers only the newest acknowledged jobs', async () => {
      const jobs = [makeJob(), makeJob(), makeJob(), makeJob()];
      for (const job of jobs) {
        await buffer.putJob(job);
        await buffer.finishJob(job, undefined, makeResult(job));
      }
      for (const job of jobs) await buffer.acknowledgeResult(job);
      const remembered = await Promise.all(jobs.map(async (job) => (await buffer.getJob(job)) !== undefined));
      expect(remembered).toEqual([false, false, true, true]);
    });

    it('finishes a job without a final chunk', async () => {
      const job = makeJob();
      await buffer.putJob(job);
      await buffer.finishJob(job, undefined, makeResult(job));
      expect((await buffer.pendingOutbox()).map((e) => e.kind)).toEqual(['result']);
    });

    it('forgets a dropped job with its logs and result but keeps other jobs', async () => {
      const dropped = makeJob();
      const kept = makeJob();
      await buffer.putJob(dropped);
      await buffer.putJob(kept);
      await buffer.appendLogs(makeLogs(dropped, 0));
      await buffer.appendLogs(makeLogs(kept, 0));
      await buffer.finishJob(dropped, makeLogs(dropped, 1), makeResult(dropped));
      await buffer.forgetJob(dropped);
      expect(await buffer.getJob(dropped)).toBeUndefined();
      expect((await buffer.pendingOutbox()).map((e) => e.key)).toEqual([logsKey(kept.jobId, 1, 0)]);
      expect((await buffer.heldJobs()).map((e) => e.job.jobId)).toEqual([kept.jobId]);
    });

    const reopen = harness.reopen;
    if (!reopen) return;
    it('keeps its inbox and outbox after being closed and reopened', async () => {
      const running = makeJob({ task: { id: 't', type: 'x', nested: { list: [1, 'two'] } } });
      const finished = makeJob();
      await buffer.putJob(running);
      await buffer.markRunning(running);
      await buffer.appendLogs(makeLogs(running, 0, 'before the crash'));
      await buffer.putJob(finished);
      await buffer.finishJob(finished, undefined, makeResult(finished, { outputs: { value: 42 } }));
      const before = await buffer.pendingOutbox();
      await buffer.close();
      buffer = await reopen();
      expect(await buffer.heldJobs()).toEqual([{ job: running, state: 'running', logChunks: 1 }]);
      expect(await buffer.pendingOutbox()).toEqual(before);
      expect(await buffer.putJob(finished)).toBe(false);
    });
  });
}
