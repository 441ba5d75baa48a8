import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage } from './local.ts';
import { inputFileUri, isUnder, parseStorageUri, taskRunFileUri, taskRunSegments } from './uri.ts';

const scope = { namespace: 'company.team', flowId: 'etl', executionId: 'EX1' };
let dir: string;
let storage: LocalStorage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'roost-storage-'));
  storage = new LocalStorage(join(dir, 'storage'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('storage URIs', () => {
  it("follow Kestra's layout for task run files and FILE inputs", () => {
    expect(taskRunFileUri(scope, 'extract', 'TR1', 'out.csv')).toBe(
      'kestra:///company/team/etl/executions/EX1/tasks/extract/TR1/out.csv',
    );
    expect(inputFileUri(scope, 'data', 'my file.txt')).toBe(
      'kestra:///company/team/etl/executions/EX1/inputs/data/my%20file.txt',
    );
    expect(
      parseStorageUri('kestra:///company/team/etl/executions/EX1/inputs/data/my%20file.txt').at(-1),
    ).toBe('my file.txt');
  });

  it.each([
    ['kestra:///a/../../etc/passwd', 'is not an allowed path segment'],
    ['kestra:///a/%2e%2e/b', 'is not an allowed path segment'],
    ['kestra:///a/%2F..%2Fb', 'is not an allowed path segment'],
    ['kestra:///a//b', 'is not an allowed path segment'],
    ['kestra:///a/b%00c', 'is not an allowed path segment'],
    ['kestra:///a\\..\\b', 'is not an allowed path segment'],
    ['file:///etc/passwd', 'must start with kestra:///'],
    ['kestra://host/a', 'must start with kestra:///'],
    ['kestra:///a/%zz', 'not valid percent-encoding'],
  ])('refuses %s', (uri, why) => {
    expect(() => parseStorageUri(uri)).toThrow(why);
    expect(() => storage.pathOf(uri)).toThrow(why);
  });

  it('tells whether a URI lies under a task run, comparing segments', () => {
    const prefix = taskRunSegments(scope, 'extract', 'TR1');
    expect(isUnder('kestra:///company/team/etl/executions/EX1/tasks/extract/TR1/a/b.txt', prefix)).toBe(true);
    expect(isUnder('kestra:///company/team/etl/executions/EX1/tasks/extract/TR12/a.txt', prefix)).toBe(false);
    expect(isUnder('kestra:///company/team/etl/executions/EX1/tasks/extract/TR1', prefix)).toBe(false);
    expect(isUnder('kestra:///company/team/etl/executions/EX1/tasks/extract/TR1/../TR2/x', prefix)).toBe(
      false,
    );
  });
});

describe('local storage', () => {
  const uri = taskRunFileUri(scope, 'extract', 'TR1', 'out.csv');

  it('stores a stream and reads it back', async () => {
    const stored = await storage.put(uri, Readable.from(['a,b\n', '1,2\n']));
    expect(stored).toEqual({ uri, size: 8 });
    expect(await storage.exists(uri)).toBe(true);
    const file = await storage.get(uri);
    expect(file.size).toBe(8);
    expect(await text(file.content)).toBe('a,b\n1,2\n');
  });

  it('keeps files in the storage directory under the URI path', async () => {
    await storage.put(uri, Readable.from(['x']));
    expect(readdirSync(join(dir, 'storage/company/team/etl/executions/EX1/tasks/extract/TR1'))).toEqual([
      'out.csv',
    ]);
  });

  it('leaves nothing behind when a file is over the limit or the stream fails', async () => {
    await expect(storage.put(uri, Readable.from(['0123456789']), { maxBytes: 4 })).rejects.toMatchObject({
      code: 'ROOST_PAYLOAD_TOO_LARGE',
    });
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put(uri, failing)).rejects.toThrow('client went away');
    expect(await storage.exists(uri)).toBe(false);
    expect(readdirSync(join(dir, 'storage/company/team/etl/executions/EX1/tasks/extract/TR1'))).toEqual([]);
  });

  it('answers ROOST_NOT_FOUND for a missing file', async () => {
    await expect(storage.get(uri)).rejects.toMatchObject({ code: 'ROOST_NOT_FOUND' });
  });

  it('never reads or writes outside its root, even through a name that looks like a path', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'top secret');
    await expect(storage.get('kestra:///../secret.txt')).rejects.toMatchObject({ code: 'ROOST_BAD_REQUEST' });
    await expect(storage.put('kestra:///../evil.txt', Readable.from(['x']))).rejects.toMatchObject({
      code: 'ROOST_BAD_REQUEST',
    });
    expect(() => storage.pathOf('kestra:///a/.roost-tmp-123')).toThrow('reserved');
    expect(readdirSync(dir).sort()).toEqual(['secret.txt']);
  });

  it('deletes a whole tree', async () => {
    await storage.put(uri, Readable.from(['x']));
    await storage.deleteTree('kestra:///company/team/etl/executions/EX1');
    expect(await storage.exists(uri)).toBe(false);
  });
});
