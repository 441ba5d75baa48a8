// Runs the agent buffer contract against the in-memory store and the libSQL file store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../protocol/messages.ts';
import { makeJob, makeResult } from '../test-support/fixtures.ts';
import { bufferContract } from './buffer.contract.ts';
import { LibsqlBuffer, SYNC_AFTER_MS } from './libsql.ts';
import { MemoryBuffer } from './memory.ts';

bufferContract('in-memory', { open: async () => new MemoryBuffer({ acknowledgedRetained: 2 }) });

let dir = '';
bufferContract('libSQL', {
  open: async () => {
    dir = mkdtempSync(join(tmpdir(), 'roost-buffer-'));
    return LibsqlBuffer.open(join(dir, 'buffer.db'), { acknowledgedRetained: 2 });
  },
  reopen: () => LibsqlBuffer.open(join(dir, 'buffer.db'), { acknowledgedRetained: 2 }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

describe('libSQL group commit', () => {
  let groupDir = '';
  beforeEach(() => {
    groupDir = mkdtempSync(join(tmpdir(), 'roost-buffer-group-'));
  });
  afterEach(() => rmSync(groupDir, { recursive: true, force: true }));

  it('commits writes issued together, gives each its own answer, and fails a bad one alone', async () => {
    const path = join(groupDir, 'buffer.db');
    const buffer = await LibsqlBuffer.open(path);
    const jobs = Array.from({ length: 20 }, () => makeJob());
    const again = jobs[3]!;
    // a job without an attempt breaks the inbox's NOT NULL constraint
    const broken = { ...makeJob(), attempt: null } as unknown as Job;
    const settled = await Promise.allSettled([
      ...jobs.map((job) => buffer.putJob(job)),
      buffer.putJob(broken),
      buffer.putJob(again),
    ]);
    expect(settled.slice(0, 20).every((s) => s.status === 'fulfilled' && s.value === true)).toBe(true);
    expect(settled[20]?.status).toBe('rejected');
    expect(settled[21]).toEqual({ status: 'fulfilled', value: false });
    await buffer.close();
    const reopened = await LibsqlBuffer.open(path);
    expect((await reopened.heldJobs()).map((entry) => entry.job.jobId)).toEqual(jobs.map((job) => job.jobId));
    await reopened.close();
  });

  it('commits what is still queued before it closes', async () => {
    const path = join(groupDir, 'buffer.db');
    const buffer = await LibsqlBuffer.open(path);
    const job = makeJob();
    const put = buffer.putJob(job);
    const running = buffer.markRunning(job);
    await buffer.close();
    await Promise.all([put, running]);
    const reopened = await LibsqlBuffer.open(path);
    expect((await reopened.heldJobs()).map((entry) => entry.state)).toEqual(['running']);
    await reopened.close();
  });

  it('syncs results to disk within SYNC_AFTER_MS, once for a burst, and at close', async () => {
    const path = join(groupDir, 'buffer.db');
    const buffer = await LibsqlBuffer.open(path);
    const jobs = Array.from({ length: 5 }, () => makeJob());
    for (const job of jobs) await buffer.putJob(job);
    // accepting jobs needs no sync: lost with the host, they are queued again by the control plane
    await new Promise((resolve) => setTimeout(resolve, SYNC_AFTER_MS * 3));
    expect(await buffer.syncCount()).toBe(0);
    for (const job of jobs) await buffer.finishJob(job, undefined, makeResult(job));
    expect(await buffer.syncCount()).toBe(0);
    await vi.waitFor(async () => expect(await buffer.syncCount()).toBe(1), { timeout: 2_000, interval: 10 });
    await new Promise((resolve) => setTimeout(resolve, SYNC_AFTER_MS * 3));
    expect(await buffer.syncCount()).toBe(1);
    // a result committed just before close is synced by close
    const last = makeJob();
    await buffer.putJob(last);
    await buffer.finishJob(last, undefined, makeResult(last));
    await buffer.close();
    const reopened = await LibsqlBuffer.open(path);
    expect(await reopened.syncCount()).toBe(2);
    expect((await reopened.pendingOutbox()).length).toBe(6);
    await reopened.close();
  });
});
