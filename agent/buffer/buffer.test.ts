// Runs the agent buffer contract against the in-memory store and the libSQL file store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../protocol/messages.ts';
import { makeJob } from '../test-support/fixtures.ts';
import { bufferContract } from './buffer.contract.ts';
import { LibsqlBuffer } from './libsql.ts';
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
});
