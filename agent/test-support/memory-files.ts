// Internal storage in memory, for unit tests of tasks: what they upload and download, by URI.
import { readFile, writeFile } from 'node:fs/promises';
import type { JobFiles } from '../tasks/files/client.ts';

export interface MemoryFiles extends JobFiles {
  readonly stored: Map<string, string>;
}

/** Uploads land under `prefix` (a task run's URI); downloads of unknown URIs fail like a 404. */
export function memoryFiles(
  initial: Record<string, string> = {},
  prefix = 'kestra:///ns/flow/executions/E/tasks/task/TR',
): MemoryFiles {
  const stored = new Map(Object.entries(initial));
  const get = (uri: string) => {
    const content = stored.get(uri);
    if (content === undefined) throw new Error(`could not download ${uri}: file ${uri} does not exist`);
    return content;
  };
  return {
    stored,
    async upload(path, name) {
      const uri = `${prefix}/${name}`;
      stored.set(uri, await readFile(path, 'utf8'));
      return uri;
    },
    async download(uri, path) {
      await writeFile(path, get(uri));
    },
    async readText(uri) {
      return get(uri);
    },
  };
}
