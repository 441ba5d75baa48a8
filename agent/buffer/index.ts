// The agent buffer: its contract and the two stores behind it (memory, libSQL).
import { join } from 'node:path';
import { LibsqlBuffer } from './libsql.ts';

export { LibsqlBuffer } from './libsql.ts';
export { MemoryBuffer } from './memory.ts';
export * from './types.ts';

/** The buffer file inside an agent's data directory. */
export function bufferPath(dataDir: string): string {
  return join(dataDir, 'buffer.db');
}

export function openLibsqlBuffer(dataDir: string): Promise<LibsqlBuffer> {
  return LibsqlBuffer.open(bufferPath(dataDir));
}
