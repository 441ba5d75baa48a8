// Batches one job attempt's log lines into numbered chunks: 100 lines or ~50 ms, whichever comes first.

import { newId } from '../../protocol/ids.ts';
import type { JobRef, LogLevel, LogLine, Logs } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

/** Longest message a log line may carry on the wire. */
export const MAX_LOG_MESSAGE = 65_536;
/** A chunk is flushed early past this many characters of messages, far below the 4 MiB message limit. */
export const MAX_CHUNK_CHARS = 1_000_000;

export interface LogStreamOptions {
  ref: JobRef;
  /** Stores (and publishes) one chunk; chunks are emitted one at a time, in seq order. */
  emit(chunk: Logs): Promise<void>;
  onError(error: unknown): void;
  maxLines?: number;
  flushIntervalMs?: number;
}

export class LogStream {
  readonly #options: LogStreamOptions;
  readonly #maxLines: number;
  #lines: LogLine[] = [];
  #chars = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #emitting: Promise<void> = Promise.resolve();
  #finished = false;

  constructor(options: LogStreamOptions) {
    this.#options = options;
    this.#maxLines = Math.min(options.maxLines ?? 100, 1000);
  }

  /** Chunks numbered so far (the next seq). */
  get chunks(): number {
    return this.#seq;
  }

  add(level: LogLevel, message: string): void {
    if (this.#finished) return;
    const text = message.length > MAX_LOG_MESSAGE ? `${message.slice(0, MAX_LOG_MESSAGE - 1)}…` : message;
    this.#lines.push({ ts: new Date().toISOString(), level, message: text });
    this.#chars += text.length;
    if (this.#lines.length >= this.#maxLines || this.#chars >= MAX_CHUNK_CHARS) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#options.flushIntervalMs ?? 50);
  }

  /**
   * Ends the stream: waits until every chunk emitted so far is stored, and returns the lines still
   * buffered as the final chunk (stored by the caller together with the result).
   */
  async finish(): Promise<Logs | undefined> {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#emitting;
    return this.#takeChunk();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const chunk = this.#takeChunk();
    if (!chunk) return;
    this.#emitting = this.#emitting.then(() => this.#options.emit(chunk)).catch(this.#options.onError);
  }

  #takeChunk(): Logs | undefined {
    if (this.#lines.length === 0) return undefined;
    const lines = this.#lines;
    this.#lines = [];
    this.#chars = 0;
    const { jobId, attempt } = this.#options.ref;
    return { v: PROTOCOL_VERSION, id: newId(), jobId, attempt, seq: this.#seq++, lines };
  }
}
