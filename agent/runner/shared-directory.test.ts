// The directory a WorkingDirectory's children share on one agent: kept between its jobs, removed after
// the last child succeeds, and dropped by age when a group never finished.
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../protocol/messages.ts';
import type { JobFiles } from '../tasks/files/client.ts';
import { createTaskContext, removeStaleSharedDirectories } from './task-context.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function contextFor(
  workRoot: string,
  jobId: string,
  last: boolean,
  directory: { inputFiles?: unknown; outputFiles?: unknown } = {},
  files?: JobFiles,
) {
  const job = {
    v: 1,
    id: 'm',
    jobId,
    attempt: 1,
    leaseMs: 1000,
    executionId: 'e',
    taskRunId: `tr-${jobId}`,
    slots: 1,
    offline: false,
    task: { id: jobId, type: 'io.kestra.plugin.scripts.shell.Commands' },
    context: {},
    workingDirectory: { id: 'wd-run-1', last, ...directory },
  } as Job;
  return createTaskContext({
    job,
    renderer: { renderDeep: (value) => value },
    envs: {},
    childEnv: {},
    workRoot,
    killGraceMs: 100,
    signal: new AbortController().signal,
    log: () => {},
    ...(files ? { files } : {}),
  });
}

describe('shared working directory', () => {
  it('is the same directory for every child, kept until the last one succeeds', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roost-shared-'));
    roots.push(root);
    const first = contextFor(root, 'j1', false);
    const path = await first.ctx.workingDirectory();
    writeFileSync(join(path, 'note.txt'), 'hello');
    await first.cleanup(true);
    const last = contextFor(root, 'j2', true);
    expect(await last.ctx.workingDirectory()).toBe(path);
    expect(existsSync(join(path, 'note.txt'))).toBe(true);
    await last.cleanup(false);
    expect(existsSync(path)).toBe(true);
    await last.cleanup(true);
    expect(existsSync(path)).toBe(false);
  });

  it('removes shared directories left untouched for too long, and only those', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roost-shared-'));
    roots.push(root);
    for (const name of ['wd-old', 'wd-new', 'job-old']) await mkdir(join(root, name));
    const old = new Date(Date.now() - 10_000);
    utimesSync(join(root, 'wd-old'), old, old);
    utimesSync(join(root, 'job-old'), old, old);
    await removeStaleSharedDirectories(root, Date.now(), 5_000);
    expect(['wd-old', 'wd-new', 'job-old'].map((name) => existsSync(join(root, name)))).toEqual([
      false,
      true,
      true,
    ]);
  });

  it("writes the WorkingDirectory's inputFiles when the directory is made, not again for later children", async () => {
    const root = mkdtempSync(join(tmpdir(), 'roost-shared-'));
    roots.push(root);
    const inputFiles = { 'in.txt': 'first', 'sub/deep.txt': 'deep' };
    const path = await contextFor(root, 'j1', false, { inputFiles }).ctx.workingDirectory();
    expect(readFileSync(join(path, 'in.txt'), 'utf8')).toBe('first');
    expect(readFileSync(join(path, 'sub/deep.txt'), 'utf8')).toBe('deep');
    writeFileSync(join(path, 'in.txt'), 'changed by a child');
    await contextFor(root, 'j2', true, { inputFiles }).ctx.workingDirectory();
    expect(readFileSync(join(path, 'in.txt'), 'utf8')).toBe('changed by a child');
  });

  it('uploads the outputFiles that match, from the last child only', async () => {
    const root = mkdtempSync(join(tmpdir(), 'roost-shared-'));
    roots.push(root);
    const uploaded: string[] = [];
    const files = {
      upload: async (_path: string, name: string) => {
        uploaded.push(name);
        return `kestra:///x/${name}`;
      },
    } as unknown as JobFiles;
    const first = contextFor(root, 'j1', false, { outputFiles: ['*.csv'] }, files);
    const path = await first.ctx.workingDirectory();
    for (const name of ['a.csv', 'b.txt']) writeFileSync(join(path, name), name);
    expect(await first.directoryOutputs()).toBeUndefined();
    const last = contextFor(root, 'j2', true, { outputFiles: ['*.csv'] }, files);
    expect(await last.directoryOutputs()).toEqual({ outputFiles: { 'a.csv': 'kestra:///x/a.csv' } });
    expect(uploaded).toEqual(['a.csv']);
  });
});
