// The agent buffer's contract: an inbox of accepted jobs and an ordered outbox of unacknowledged messages.
import type { Job, JobRef, Logs, Result } from '../../protocol/messages.ts';

export const InboxState = {
  accepted: 'accepted',
  running: 'running',
  finished: 'finished',
  /** the control plane has the result; kept a while so a late redelivery is re-acked, not re-run */
  acknowledged: 'acknowledged',
} as const;
export type InboxState = (typeof InboxState)[keyof typeof InboxState];

/** A job the agent has accepted, with how far it got. */
export interface InboxEntry {
  job: Job;
  state: InboxState;
  /** log chunks written to the outbox so far (the next chunk's seq) */
  logChunks: number;
}

/** How many acknowledged jobs a buffer remembers to recognise late redeliveries (default). */
export const ACKNOWLEDGED_RETAINED = 1000;

export type OutboxEntry =
  | { key: string; kind: 'logs'; message: Logs }
  | { key: string; kind: 'result'; message: Result };

export function logsKey(jobId: string, attempt: number, seq: number): string {
  return `logs:${jobId}:${attempt}:${seq}`;
}

export function resultKey(jobId: string, attempt: number): string {
  return `result:${jobId}:${attempt}`;
}

/** Prefix shared by every outbox key of one job attempt (used to forget a dropped job). */
export function attemptKeys(jobId: string, attempt: number): { logs: string; result: string } {
  return { logs: `logs:${jobId}:${attempt}:`, result: resultKey(jobId, attempt) };
}

/**
 * Everything durable the agent keeps. Every method that changes state has committed when its promise
 * resolves; nothing is acknowledged or published before that.
 */
export interface AgentBuffer {
  /** Stores a job in the inbox; false (and no change) when this (jobId, attempt) is already there. */
  putJob(job: Job): Promise<boolean>;
  getJob(ref: JobRef): Promise<InboxEntry | undefined>;
  markRunning(ref: JobRef): Promise<void>;
  markFinished(ref: JobRef): Promise<void>;
  /** Inbox jobs not finished (accepted or running), in the order they were accepted. */
  heldJobs(): Promise<InboxEntry[]>;
  /**
   * Inbox jobs whose result the control plane has not acknowledged (accepted, running or finished), in
   * the order they were accepted: what the agent still answers for when it says Hello.
   */
  unsettledJobs(): Promise<InboxEntry[]>;
  removeJob(ref: JobRef): Promise<void>;
  /** Removes a job from the inbox and every outbox entry of that attempt, in one transaction. */
  forgetJob(ref: JobRef): Promise<void>;

  /** Appends a log chunk to the outbox and records it on the inbox entry, in one transaction. */
  appendLogs(chunk: Logs): Promise<void>;
  /** Writes the last log chunk (if any), the result and the inbox state `finished` in one transaction. */
  finishJob(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void>;
  /** Outbox entries not yet acknowledged, in insertion order. */
  pendingOutbox(): Promise<OutboxEntry[]>;
  outboxSize(): Promise<number>;
  /** Removes one outbox entry; false when there was none with that key. */
  removeOutbox(key: string): Promise<boolean>;
  /**
   * The control plane has the result: removes it from the outbox and marks the job acknowledged, in
   * one transaction. Only the newest `ACKNOWLEDGED_RETAINED` acknowledged jobs are remembered.
   */
  acknowledgeResult(ref: JobRef): Promise<void>;

  close(): Promise<void>;
}
