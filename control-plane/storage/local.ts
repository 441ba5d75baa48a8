// Internal storage in a local directory (`<dataDir>/storage` by default): one file per URI, written via a
// temporary file and renamed, so a reader never sees half a file.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RoostError } from '../../protocol/errors.ts';
import { newId } from '../../protocol/ids.ts';
import type { Storage, StoredFile } from './storage.ts';
import { parseStorageUri } from './uri.ts';

/** Temporary files carry this prefix; URIs that name it are refused. */
const TMP_PREFIX = '.roost-tmp-';

export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file's path; every segment is checked, and the result is checked to lie under the root. */
  pathOf(uri: string): string {
    const segments = parseStorageUri(uri);
    if (segments.some((s) => s.startsWith(TMP_PREFIX))) {
      throw new RoostError('ROOST_BAD_REQUEST', `'${uri}' names a reserved file name`);
    }
    const path = resolve(join(this.root, ...segments));
    if (!path.startsWith(this.root + sep)) {
      throw new RoostError('ROOST_BAD_REQUEST', `'${uri}' lies outside the internal storage`);
    }
    return path;
  }

  async put(uri: string, content: Readable, options: { maxBytes?: number } = {}): Promise<StoredFile> {
    const path = this.pathOf(uri);
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `${TMP_PREFIX}${newId()}`);
    let size = 0;
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(new RoostError('ROOST_PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`));
        } else done(null, chunk);
      },
    });
    try {
      await pipeline(content, counter, createWriteStream(temporary, { mode: 0o600 }));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { uri, size };
  }

  async get(uri: string): Promise<{ content: Readable; size: number }> {
    const path = this.pathOf(uri);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new RoostError('ROOST_NOT_FOUND', `file ${uri} does not exist`);
    return { content: createReadStream(path), size: info.size };
  }

  async exists(uri: string): Promise<boolean> {
    const info = await stat(this.pathOf(uri)).catch(() => undefined);
    return info?.isFile() ?? false;
  }

  async deleteTree(uri: string): Promise<void> {
    await rm(this.pathOf(uri), { recursive: true, force: true });
  }
}
