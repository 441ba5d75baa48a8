// The in-memory agent buffer: same contract as libSQL, nothing survives the process (tests, embedding).
import type { Job, JobRef, Logs, Result } from '../../protocol/messages.ts';
import {
  ACKNOWLEDGED_RETAINED,
  type AgentBuffer,
  attemptKeys,
  type InboxEntry,
  InboxState,
  logsKey,
  type OutboxEntry,
  resultKey,
} from './types.ts';

const refKey = (ref: JobRef): string => `${ref.jobId}:${ref.attempt}`;
const copy = <T>(value: T): T => structuredClone(value);

export class MemoryBuffer implements AgentBuffer {
  // Map iteration follows insertion order, which is the order both lists promise.
  readonly #inbox = new Map<string, InboxEntry>();
  readonly #outbox = new Map<string, OutboxEntry>();
  #closed = false;
  readonly #retained: number;

  constructor(options: { acknowledgedRetained?: number } = {}) {
    this.#retained = options.acknowledgedRetained ?? ACKNOWLEDGED_RETAINED;
  }

  async putJob(job: Job): Promise<boolean> {
    this.#check();
    const key = refKey(job);
    if (this.#inbox.has(key)) return false;
    this.#inbox.set(key, { job: copy(job), state: InboxState.accepted, logChunks: 0 });
    return true;
  }

  async getJob(ref: JobRef): Promise<InboxEntry | undefined> {
    this.#check();
    const entry = this.#inbox.get(refKey(ref));
    return entry && copy(entry);
  }

  async markRunning(ref: JobRef): Promise<void> {
    this.#setState(ref, InboxState.running);
  }

  async markFinished(ref: JobRef): Promise<void> {
    this.#setState(ref, InboxState.finished);
  }

  async heldJobs(): Promise<InboxEntry[]> {
    this.#check();
    return [...this.#inbox.values()]
      .filter((e) => e.state === InboxState.accepted || e.state === InboxState.running)
      .map(copy);
  }

  async unsettledJobs(): Promise<InboxEntry[]> {
    this.#check();
    return [...this.#inbox.values()].filter((e) => e.state !== InboxState.acknowledged).map(copy);
  }

  async removeJob(ref: JobRef): Promise<void> {
    this.#check();
    this.#inbox.delete(refKey(ref));
  }

  async forgetJob(ref: JobRef): Promise<void> {
    this.#check();
    this.#inbox.delete(refKey(ref));
    const keys = attemptKeys(ref.jobId, ref.attempt);
    for (const key of [...this.#outbox.keys()]) {
      if (key.startsWith(keys.logs) || key === keys.result) this.#outbox.delete(key);
    }
  }

  async appendLogs(chunk: Logs): Promise<void> {
    this.#check();
    this.#appendChunk(chunk);
  }

  async finishJob(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void> {
    this.#check();
    if (finalChunk) this.#appendChunk(finalChunk);
    const key = resultKey(ref.jobId, ref.attempt);
    if (!this.#outbox.has(key)) this.#outbox.set(key, { key, kind: 'result', message: copy(result) });
    this.#setState(ref, InboxState.finished);
  }

  async pendingOutbox(): Promise<OutboxEntry[]> {
    this.#check();
    return [...this.#outbox.values()].map(copy);
  }

  async outboxSize(): Promise<number> {
    this.#check();
    return this.#outbox.size;
  }

  async removeOutbox(key: string): Promise<boolean> {
    this.#check();
    return this.#outbox.delete(key);
  }

  async acknowledgeResult(ref: JobRef): Promise<void> {
    this.#check();
    this.#outbox.delete(resultKey(ref.jobId, ref.attempt));
    const key = refKey(ref);
    const entry = this.#inbox.get(key);
    if (!entry) return;
    // re-inserted so that the oldest acknowledged entries come first when pruning
    this.#inbox.delete(key);
    this.#inbox.set(key, { ...entry, state: InboxState.acknowledged });
    const acknowledged = [...this.#inbox].filter(([, e]) => e.state === InboxState.acknowledged);
    for (const [old] of acknowledged.slice(0, Math.max(0, acknowledged.length - this.#retained))) {
      this.#inbox.delete(old);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #appendChunk(chunk: Logs): void {
    const key = logsKey(chunk.jobId, chunk.attempt, chunk.seq);
    if (!this.#outbox.has(key)) this.#outbox.set(key, { key, kind: 'logs', message: copy(chunk) });
    const entry = this.#inbox.get(refKey(chunk));
    if (entry) entry.logChunks = Math.max(entry.logChunks, chunk.seq + 1);
  }

  #setState(ref: JobRef, state: InboxState): void {
    this.#check();
    const entry = this.#inbox.get(refKey(ref));
    if (entry) entry.state = state;
  }

  #check(): void {
    if (this.#closed) throw new Error('the agent buffer is closed');
  }
}
