// The agent's side of internal storage: uploads a task run's files and downloads files of its execution
// over the control plane's HTTP API, authenticated with the agent's credential.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RoostError } from '../../../protocol/errors.ts';
import type { JobRef } from '../../../protocol/messages.ts';

export const AGENT_FILES_PATH = '/api/v1/agent/files';

/** What the agent presents; one place, so per-agent credentials can replace the shared secret. */
export interface FileCredentials {
  agentId: string;
  secret: string;
}

/** The control plane's HTTP base URL: given, or derived from a WebSocket broker URL (same host and port). */
export function filesBaseUrl(brokerUrl: string, given?: string): string | undefined {
  if (given) return given.replace(/\/+$/, '');
  const url = new URL(brokerUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return undefined;
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** The file operations of one job attempt. */
export interface JobFiles {
  /** Uploads a local file as `name` under the task run; resolves with its kestra:/// URI. */
  upload(localPath: string, name: string): Promise<string>;
  /** Downloads a file of the job's execution to `localPath`. */
  download(uri: string, localPath: string): Promise<void>;
  /** A file of the job's execution as text, refused over `maxBytes`. */
  readText(uri: string, maxBytes: number): Promise<string>;
}

export class FileClient {
  readonly #base: string;
  readonly #authorization: string;

  constructor(baseUrl: string, credentials: FileCredentials) {
    this.#base = baseUrl;
    this.#authorization = `Basic ${Buffer.from(`${credentials.agentId}:${credentials.secret}`).toString('base64')}`;
  }

  /** The file operations of one job attempt; `signal` (the job's kill) aborts a transfer in flight. */
  forJob(ref: JobRef, signal?: AbortSignal): JobFiles {
    const url = (extra: Record<string, string>) => {
      const query = new URLSearchParams({ jobId: ref.jobId, attempt: String(ref.attempt), ...extra });
      return `${this.#base}${AGENT_FILES_PATH}?${query}`;
    };
    const fetchFile = async (uri: string): Promise<Response> => {
      const response = await this.#fetch(url({ uri }), { method: 'GET', signal }, `download ${uri}`);
      if (!response.body)
        throw new RoostError('ROOST_TASK_FAILED', `could not download ${uri}: empty response`);
      return response;
    };
    return {
      upload: async (localPath, name) => {
        const { size } = await stat(localPath);
        const response = await this.#fetch(
          url({ name }),
          {
            method: 'PUT',
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
            body: Readable.toWeb(createReadStream(localPath)) as ReadableStream,
            duplex: 'half',
            signal,
          } as RequestInit,
          `upload ${name}`,
        );
        return ((await response.json()) as { uri: string }).uri;
      },
      download: async (uri, localPath) => {
        const response = await fetchFile(uri);
        await pipeline(
          Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
          createWriteStream(localPath, { mode: 0o600 }),
        );
      },
      readText: async (uri, maxBytes) => {
        const response = await fetchFile(uri);
        const size = Number(response.headers.get('content-length') ?? 0);
        if (size > maxBytes) {
          await response.body?.cancel();
          throw new RoostError(
            'ROOST_TASK_FAILED',
            `${uri} takes ${size} bytes, over the ${maxBytes} read() allows`,
          );
        }
        return response.text();
      },
    };
  }

  async #fetch(url: string, init: RequestInit, what: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { ...init.headers, authorization: this.#authorization },
      });
    } catch (error) {
      throw new RoostError('ROOST_TASK_FAILED', `could not ${what}: ${(error as Error).message}`, {
        retryable: true,
      });
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string; code?: string };
      throw new RoostError(
        'ROOST_TASK_FAILED',
        `could not ${what}: ${body.message ?? `HTTP ${response.status}`}`,
        { retryable: response.status >= 500 },
      );
    }
    return response;
  }
}

/** Stands in when the agent knows no control-plane URL: every file operation fails saying so. */
export const NO_FILES: JobFiles = {
  upload: () => Promise.reject(noFiles()),
  download: () => Promise.reject(noFiles()),
  readText: () => Promise.reject(noFiles()),
};
function noFiles(): RoostError {
  return new RoostError(
    'ROOST_CONFIG',
    'this agent has no control-plane HTTP URL for files: start it with --server URL (or ROOST_SERVER), or connect over ws:// or wss://',
  );
}
