// Runs jobs within the agent's slots: renders and runs each task, streams its log, and reports its result.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoostError } from '../../protocol/errors.ts';
import { newId } from '../../protocol/ids.ts';
import { DIRECTORY_OUTPUTS, type Job, type JobRef, type Logs, type Result } from '../../protocol/messages.ts';
import type { ResultState } from '../../protocol/states.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { Logger } from '../logger.ts';
import { SecretMask } from '../secrets.ts';
import type { FileClient } from '../tasks/files/client.ts';
import { TaskRegistry } from '../tasks/registry.ts';
import type { TaskOutcome } from '../tasks/types.ts';
import { LogStream } from './log-stream.ts';
import { SlotQueue } from './slots.ts';
import { createTaskContext, type Renderer } from './task-context.ts';

/** Where the runner's work goes; the agent commits each step before it publishes it. */
export interface RunnerSink {
  /** the task is about to run (not called for side-effect-free tasks: a commit saved per job) */
  started(ref: JobRef): Promise<void>;
  logs(chunk: Logs): Promise<void>;
  finished(ref: JobRef, finalChunk: Logs | undefined, result: Result): Promise<void>;
}

export interface RunnerOptions {
  slots: number;
  sink: RunnerSink;
  renderer: Renderer;
  logger: Logger;
  registry?: TaskRegistry;
  envs?: Readonly<Record<string, string>>;
  childEnv?: Readonly<Record<string, string>>;
  workRoot?: string;
  killGraceMs?: number;
  /** internal storage over the control plane's HTTP API (none: tasks that need files fail saying why) */
  files?: FileClient;
  flushIntervalMs?: number;
  maxLinesPerChunk?: number;
  /** the agent's own secret store, for `{{ secret('NAME') }}` */
  secrets?: { get(name: string): string };
}

interface Attempt {
  job: Job;
  abort: AbortController;
  killReason?: string;
  /** dropped: the control plane no longer holds this lease; no result is reported */
  dropped: boolean;
  done?: Promise<void>;
  /** when it was queued (performance.now()) */
  queuedAt: number;
}

/** Outputs larger than this fail the task: a result must fit in one message (MAX_MESSAGE_BYTES). */
export const MAX_OUTPUT_BYTES = 3 * 1024 * 1024;

/** A task's outcome, or one the runner decides (KILLED, or FAILED before the task ran). */
type Outcome = Omit<TaskOutcome, 'state'> & { state?: ResultState };

const refKey = (ref: JobRef): string => `${ref.jobId}:${ref.attempt}`;

export class Runner {
  readonly #options: RunnerOptions;
  readonly #registry: TaskRegistry;
  readonly #queue: SlotQueue<Attempt>;
  readonly #attempts = new Map<string, Attempt>();
  readonly #log: Logger;
  #idleWaiters: (() => void)[] = [];

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#registry = options.registry ?? new TaskRegistry();
    this.#queue = new SlotQueue(options.slots, (attempt) => {
      attempt.done = this.#execute(attempt);
    });
  }

  get slots(): number {
    return this.#queue.total;
  }

  get slotsInUse(): number {
    return this.#queue.inUse;
  }

  /** Every job this runner holds, running or waiting for slots. */
  held(): JobRef[] {
    return [...this.#attempts.values()].map(({ job }) => ({ jobId: job.jobId, attempt: job.attempt }));
  }

  /** Jobs whose task has started (not those waiting for slots). */
  running(): JobRef[] {
    const waiting = new Set(this.#queue.waiting);
    return [...this.#attempts.values()]
      .filter((a) => !waiting.has(a))
      .map(({ job }) => ({ jobId: job.jobId, attempt: job.attempt }));
  }

  /** The jobs this runner holds (running or waiting for slots), as received. */
  heldJobs(): Job[] {
    return [...this.#attempts.values()].map(({ job }) => job);
  }

  has(ref: JobRef): boolean {
    return this.#attempts.has(refKey(ref));
  }

  /** Queues a job; it starts as soon as its slots are free. A job too heavy for this agent fails at once. */
  submit(job: Job): void {
    if (this.has(job)) return;
    const attempt: Attempt = {
      job,
      abort: new AbortController(),
      dropped: false,
      queuedAt: performance.now(),
    };
    this.#attempts.set(refKey(job), attempt);
    if (job.slots > this.slots) {
      const message = `the job needs ${job.slots} slots and this agent has ${this.slots}`;
      attempt.done = this.#report(attempt, new Date(), undefined, this.#failure(message, 'ROOST_NO_AGENT'));
      return;
    }
    this.#queue.enqueue(attempt, job.slots);
  }

  /** Stops a job's attempt and reports it KILLED; false when this runner does not hold it. */
  kill(ref: JobRef, reason: string): boolean {
    const attempt = this.#attempts.get(refKey(ref));
    if (!attempt) return false;
    attempt.killReason ??= reason;
    if (this.#queue.remove((a) => a === attempt)) {
      attempt.done = this.#report(attempt, new Date(), undefined, {
        state: 'KILLED',
        error: { message: `killed: ${reason}` },
      });
    } else {
      attempt.abort.abort();
    }
    return true;
  }

  /** Stops a job's attempt and reports nothing; resolves once its task has ended. */
  async drop(ref: JobRef, reason = 'dropped by the control plane'): Promise<void> {
    const attempt = this.#attempts.get(refKey(ref));
    if (!attempt) return;
    attempt.dropped = true;
    this.kill(ref, reason);
    await attempt.done;
  }

  /**
   * Takes out of the queue, never to start, the jobs that have waited for a slot longer than `ms` and
   * may run only while the link is up (not offline-capable): held ready behind jobs that turned out
   * long, they are better run by another agent. Returns them; the runner no longer holds them.
   */
  takeBackWaiting(ms: number): Job[] {
    const before = performance.now() - ms;
    const taken: Job[] = [];
    for (const attempt of this.#queue.waiting) {
      if (attempt.job.offline || attempt.queuedAt > before) continue;
      if (!this.#queue.remove((a) => a === attempt)) continue;
      this.#attempts.delete(refKey(attempt.job));
      taken.push(attempt.job);
    }
    return taken;
  }

  /** How long the job that has waited longest for a slot has waited (ms), or undefined if none waits. */
  longestWait(): number | undefined {
    const first = this.#queue.waiting.find((attempt) => !attempt.job.offline);
    return first && performance.now() - first.queuedAt;
  }

  /** Starts nothing more from the queue; returns the jobs left waiting (still held, never started). */
  pause(): Job[] {
    this.#queue.pause();
    return this.#queue.waiting.map((a) => a.job);
  }

  /** Resolves when no job is running (jobs left waiting after `pause` do not count). */
  whenIdle(): Promise<void> {
    if (this.#queue.inUse === 0 && this.#running() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #running(): number {
    return this.running().length;
  }

  async #execute(attempt: Attempt): Promise<void> {
    const { job } = attempt;
    const startedAt = new Date();
    const stream = new LogStream({
      ref: job,
      emit: (chunk) => (attempt.dropped ? Promise.resolve() : this.#options.sink.logs(chunk)),
      onError: (error) => this.#log.error('could not store a log chunk', { jobId: job.jobId, error }),
      maxLines: this.#options.maxLinesPerChunk,
      flushIntervalMs: this.#options.flushIntervalMs,
    });
    // the values of the secrets this job resolves, masked in all it reports
    const mask = new SecretMask();
    const secrets = this.#options.secrets;
    const { ctx, prepare, cleanup, directoryOutputs } = createTaskContext({
      job,
      renderer: this.#options.renderer,
      envs: this.#options.envs ?? {},
      childEnv: this.#options.childEnv ?? {},
      workRoot: this.#options.workRoot ?? join(tmpdir(), 'roost-agent-work'),
      killGraceMs: this.#options.killGraceMs ?? 5_000,
      signal: attempt.abort.signal,
      ...(this.#options.files ? { files: this.#options.files.forJob(job, attempt.abort.signal) } : {}),
      log: (level, message) => stream.add(level, mask.mask(message)),
      ...(secrets
        ? {
            secret: (name: string) => {
              const value = secrets.get(name);
              mask.add(value);
              return value;
            },
          }
        : {}),
    });
    let outcome: Outcome;
    try {
      const task = this.#registry.resolve(job.task.type);
      if (!task.sideEffectFree) await this.#options.sink.started(job);
      await prepare();
      outcome = attempt.abort.signal.aborted ? {} : await task.run(ctx);
    } catch (error) {
      const failure = RoostError.from(error);
      outcome = this.#failure(failure.message, failure.code === 'ROOST_INTERNAL' ? undefined : failure.code);
    }
    if (!attempt.abort.signal.aborted && (outcome.state ?? 'SUCCESS') !== 'FAILED') {
      try {
        const own = await directoryOutputs();
        if (own) outcome = { ...outcome, outputs: { ...outcome.outputs, [DIRECTORY_OUTPUTS]: own } };
      } catch (error) {
        outcome = this.#failure(`WorkingDirectory outputFiles: ${(error as Error).message}`);
      }
    }
    const succeeded = !attempt.abort.signal.aborted && (outcome.state ?? 'SUCCESS') !== 'FAILED';
    await cleanup(succeeded).catch((error) =>
      this.#log.warn('could not remove a working directory', { error }),
    );
    if (attempt.abort.signal.aborted) {
      stream.add('WARN', `killed: ${attempt.killReason}`);
      outcome = {
        outputs: outcome.outputs,
        state: 'KILLED',
        error: { message: `killed: ${attempt.killReason}` },
      };
    }
    this.#queue.release(job.slots);
    outcome = mask.maskDeep(outcome);
    await this.#report(attempt, startedAt, await stream.finish(), outcome, stream.chunks);
  }

  async #report(
    attempt: Attempt,
    startedAt: Date,
    finalChunk: Logs | undefined,
    outcome: Outcome,
    chunks = 0,
  ) {
    const { job } = attempt;
    try {
      if (attempt.dropped) return;
      const result: Result = {
        v: PROTOCOL_VERSION,
        id: newId(),
        jobId: job.jobId,
        attempt: job.attempt,
        state: outcome.state ?? 'SUCCESS',
        outputs: outcome.outputs ?? {},
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        logChunks: chunks,
      };
      if (outcome.error) result.error = { ...outcome.error, message: outcome.error.message.slice(0, 8192) };
      const size = Buffer.byteLength(JSON.stringify(result.outputs));
      if (size > MAX_OUTPUT_BYTES) {
        result.state = 'FAILED';
        result.outputs = {};
        result.error = {
          message: `the task's outputs take ${size} bytes, over the ${MAX_OUTPUT_BYTES} allowed`,
        };
      }
      await this.#options.sink.finished(job, finalChunk, result);
    } catch (error) {
      this.#log.error('could not store a result', { jobId: job.jobId, error });
    } finally {
      this.#attempts.delete(refKey(job));
      if (this.#running() === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  #failure(message: string, code?: string): Outcome {
    return { state: 'FAILED', error: code === undefined ? { message } : { message, code } };
  }
}
