// Runs the agent buffer contract against the in-memory store and the libSQL file store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
