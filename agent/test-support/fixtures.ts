// Message fixtures for agent tests: valid protocol messages with only the interesting fields to fill in.
import type { Job, Logs, Result } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    v: PROTOCOL_VERSION,
    id: nextId('msg'),
    jobId: nextId('job'),
    attempt: 1,
    leaseMs: 30_000,
    executionId: 'exec-1',
    taskRunId: nextId('taskrun'),
    slots: 1,
    offline: false,
    task: { id: 'hello', type: 'io.kestra.plugin.core.log.Log', message: 'hello' },
    context: {},
    ...overrides,
  };
}

export function makeLogs(job: Pick<Job, 'jobId' | 'attempt'>, seq: number, message = `line ${seq}`): Logs {
  return {
    v: PROTOCOL_VERSION,
    id: nextId('msg'),
    jobId: job.jobId,
    attempt: job.attempt,
    seq,
    lines: [{ ts: new Date().toISOString(), level: 'INFO', message }],
  };
}

export function makeResult(job: Pick<Job, 'jobId' | 'attempt'>, overrides: Partial<Result> = {}): Result {
  const now = new Date().toISOString();
  return {
    v: PROTOCOL_VERSION,
    id: nextId('msg'),
    jobId: job.jobId,
    attempt: job.attempt,
    state: 'SUCCESS',
    outputs: {},
    startedAt: now,
    endedAt: now,
    logChunks: 0,
    ...overrides,
  };
}
