// A RunnerSink that records what the runner reports, and lets tests wait for a job's result.
import type { JobRef, Logs, Result } from '../../protocol/messages.ts';
import type { RunnerSink } from '../runner/runner.ts';

export interface Finished {
  ref: JobRef;
  finalChunk: Logs | undefined;
  result: Result;
}

export class RecordingSink implements RunnerSink {
  readonly started_: string[] = [];
  readonly chunks: Logs[] = [];
  readonly finishedJobs: Finished[] = [];
  readonly #waiters: { jobId: string; resolve: (f: Finished) => void }[] = [];

  async started(ref: JobRef): Promise<void> {
    this.started_.push(ref.jobId);
  }

  async logs(chunk: Logs): Promise<void> {
    this.chunks.push(chunk);
  }

  async finished(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void> {
    const entry = { ref, finalChunk, result };
    this.finishedJobs.push(entry);
    for (const w of this.#waiters.filter((w) => w.jobId === ref.jobId)) w.resolve(entry);
  }

  result(jobId: string): Promise<Finished> {
    const done = this.finishedJobs.find((f) => f.ref.jobId === jobId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.#waiters.push({ jobId, resolve }));
  }
}
