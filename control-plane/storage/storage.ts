// The internal storage contract: files by kestra:/// URI, written and read as streams.
import type { Readable } from 'node:stream';

export interface StoredFile {
  uri: string;
  size: number;
}

export interface Storage {
  /**
   * Stores the stream under `uri`, replacing any file there. The file appears whole or not at all;
   * more than `maxBytes` fails with ROOST_PAYLOAD_TOO_LARGE and leaves nothing behind.
   */
  put(uri: string, content: Readable, options?: { maxBytes?: number }): Promise<StoredFile>;
  /** The file's content, or a ROOST_NOT_FOUND error. */
  get(uri: string): Promise<{ content: Readable; size: number }>;
  exists(uri: string): Promise<boolean>;
  /** Removes every file under the directory `uri` (kestra:///ns/flow/executions/ID, ...); no error if none. */
  deleteTree(uri: string): Promise<void>;
}
