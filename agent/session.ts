// The agent's side of the protocol on one connection: hello, welcome, jobs and acks, heartbeats, control.
import type { AgentBundle, Control, Job, JobRef, Welcome } from '../protocol/messages.ts';
import { type AgentBuffer, logsKey, type OutboxEntry } from './buffer/types.ts';
import type { Logger } from './logger.ts';
import type { Runner } from './runner/runner.ts';
import type { AgentTransport, TransportHandlers } from './transport/types.ts';
import {
  ackEnvelope,
  ackMessages,
  heartbeatMessage,
  helloMessage,
  refusalMessage,
  returnMessage,
  toRef,
} from './up-messages.ts';

export interface SessionDeps {
  agentId: string;
  name: string;
  labels: Record<string, string>;
  /** slots of offline-capable jobs it may hold beyond its slots */
  prefetch?: number;
  /** slots of jobs it may hold ready beyond its slots (filled while its jobs run short) */
  ready?: number;
  transport: AgentTransport;
  buffer: AgentBuffer;
  runner: Runner;
  logger: Logger;
  heartbeatIntervalMs: number | undefined;
  /** say Hello again when no Welcome came within this time (the control plane may have missed it) */
  helloRetryMs: number;
  /** whether the control plane should send no new work (draining or configured) */
  maintenance(): boolean;
  /** whether new jobs are taken */
  accepting(): boolean;
  /** the agent must stop for good (superseded or rejected) */
  halt(reason: string): void;
  /** once, after the first Welcome: deal with the jobs a previous process left in the inbox */
  recover(): Promise<void>;
  /** keeps a rotated credential durably; undefined when this agent cannot (not enrolled) */
  storeCredential: ((credential: string) => Promise<void>) | undefined;
  /** the control plane advertised its agent bundle (Welcome, or Rejected when `rejected`) */
  bundleAdvertised?: ((bundle: AgentBundle, rejected: boolean) => void) | undefined;
  /** the control plane turned maintenance mode on or off */
  setMaintenance(enabled: boolean): void;
  /** the before-job hook: a job it refuses is handed back to the control plane */
  beforeJob?: (job: Job) => Promise<{ ok: boolean; reason?: string }>;
  /** a new job was stored and handed to the runner */
  taken(job: Job): void;
  /** something a drain waits on changed (outbox acknowledged, connection lost, welcomed) */
  changed(): void;
}

/**
 * A job that has waited this long for a slot on this agent goes back to the control plane, for another
 * agent (or this one, later): it was held ready, and the jobs ahead of it turned out long.
 */
export const RETURN_WAITING_AFTER_MS = 500;

export class Session {
  readonly #deps: SessionDeps;
  readonly #log: Logger;
  #welcomed = false;
  #recovered = false;
  #connectionChangedAt = new Date();
  #heartbeat: NodeJS.Timeout | undefined;
  #helloRetry: NodeJS.Timeout | undefined;
  #acks: JobRef[] = [];
  /** when the control plane last renewed every lease this agent holds (a Welcome or a HeartbeatAck) */
  #renewedAt = Date.now();
  /** jobs received since the last renewal: their lease started when they arrived */
  readonly #receivedAt = new Map<string, number>();
  #leaseWatch: NodeJS.Timeout | undefined;
  #waitWatch: NodeJS.Timeout | undefined;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.#log = deps.logger;
  }

  /** When the agent was last welcomed or last lost its connection (or started). */
  get connectionChangedAt(): Date {
    return this.#connectionChangedAt;
  }

  /** Welcomed on the current connection: results and logs may flow. */
  get welcomed(): boolean {
    return this.#welcomed && this.#deps.transport.connected;
  }

  handlers(): TransportHandlers {
    const guard = (what: string, work: Promise<void>) =>
      work.catch((error: unknown) => this.#log.error(`failed to handle ${what}`, { error }));
    return {
      onConnected: (sessionId) => void guard('a new connection', this.#connected(sessionId)),
      onDisconnected: () => this.#disconnected(),
      onJob: (job) => void guard(`job ${job.jobId}`, this.#job(job)),
      onControl: (control) => void guard(`a ${control.kind} message`, this.#control(control)),
    };
  }

  /** Publishes one committed outbox entry now if welcomed; otherwise it waits for the next Welcome. */
  publish(entry: OutboxEntry): void {
    if (!this.welcomed) return;
    const { transport } = this.#deps;
    const sent =
      entry.kind === 'logs'
        ? transport.publish('logs', entry.message)
        : transport.publish('result', entry.message);
    sent.catch((error: unknown) =>
      this.#log.debug('publish failed; it is replayed after reconnecting', { key: entry.key, error }),
    );
  }

  /** Sends a heartbeat now (also used when draining starts, to say maintenance at once). */
  heartbeat(): void {
    const sessionId = this.#deps.transport.sessionId;
    if (!this.welcomed || !sessionId) return;
    const { runner } = this.#deps;
    const message = heartbeatMessage({
      sessionId,
      running: runner.held(),
      freeSlots: Math.max(0, runner.slots - runner.slotsInUse),
      maintenance: this.#deps.maintenance(),
    });
    this.#deps.transport.publish('heartbeat', message).catch((error: unknown) => {
      this.#log.debug('heartbeat not sent', { error });
    });
  }

  close(): void {
    this.#pause();
    clearTimeout(this.#leaseWatch);
    this.#leaseWatch = undefined;
    clearTimeout(this.#waitWatch);
    this.#waitWatch = undefined;
  }

  /** Not welcomed: no heartbeats, no Hello retries (until the next connection). */
  #pause(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#helloRetry);
    this.#heartbeat = undefined;
    this.#welcomed = false;
  }

  async #connected(sessionId: string): Promise<void> {
    this.#pause();
    await this.#sayHello(sessionId);
  }

  /** Hello, repeated every `helloRetryMs` until this session is welcomed. */
  async #sayHello(sessionId: string): Promise<void> {
    const { buffer, transport, runner } = this.#deps;
    if (transport.sessionId !== sessionId || this.#welcomed) return;
    // finished jobs too: their result waits in the outbox, and the control plane must keep the lease for it
    const held = (await buffer.unsettledJobs()).map((entry) => entry.job);
    const hello = helloMessage({
      agentId: this.#deps.agentId,
      sessionId,
      name: this.#deps.name,
      labels: this.#deps.labels,
      slots: runner.slots,
      ...(this.#deps.prefetch ? { prefetch: this.#deps.prefetch } : {}),
      ...(this.#deps.ready ? { ready: this.#deps.ready } : {}),
      maintenance: this.#deps.maintenance(),
      held,
    });
    clearTimeout(this.#helloRetry);
    this.#helloRetry = setTimeout(() => {
      this.#sayHello(sessionId).catch((error: unknown) => this.#log.debug('hello not sent', { error }));
    }, this.#deps.helloRetryMs);
    await transport.publish('hello', hello);
    this.#log.debug('said hello', { sessionId, held: held.length });
  }

  #disconnected(): void {
    this.#connectionChangedAt = new Date();
    this.#pause();
    this.#watchLeases();
    this.#deps.changed();
  }

  /** The control plane renewed every lease this agent holds (it answered a Hello or a heartbeat). */
  #renewed(): void {
    this.#renewedAt = Date.now();
    this.#receivedAt.clear();
  }

  /**
   * Cut off from the control plane (§4.11): a job that is not offline-capable is stopped and forgotten,
   * without a result, once its lease may have run out (the last renewal plus `leaseMs`), since by then
   * the control plane gives it to another agent. Offline-capable jobs go on.
   */
  #watchLeases(): void {
    clearTimeout(this.#leaseWatch);
    this.#leaseWatch = undefined;
    if (this.welcomed) return;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const job of this.#deps.runner.heldJobs()) {
      if (job.offline) continue;
      const renewed = Math.max(this.#renewedAt, this.#receivedAt.get(`${job.jobId}:${job.attempt}`) ?? 0);
      const end = renewed + job.leaseMs;
      if (end > now) {
        next = Math.min(next, end);
        continue;
      }
      const ref = toRef(job);
      this.#log.warn(
        'cut off from the control plane past the lease of a job: stopping it, reporting nothing',
        {
          jobId: job.jobId,
          attempt: job.attempt,
          leaseMs: job.leaseMs,
        },
      );
      this.#drop(ref, 'its lease ran out while the agent was cut off from the control plane').catch(
        (error: unknown) =>
          this.#log.error('could not stop a job past its lease', { jobId: job.jobId, error }),
      );
    }
    if (next < Number.POSITIVE_INFINITY)
      this.#leaseWatch = setTimeout(() => this.#watchLeases(), Math.max(10, next - now));
  }

  async #job(job: Job): Promise<void> {
    if (!this.#deps.accepting()) {
      this.#log.warn('refused a job while stopping', { jobId: job.jobId, attempt: job.attempt });
      return;
    }
    const { beforeJob } = this.#deps;
    if (beforeJob && !(await this.#deps.buffer.getJob(job))) {
      const hook = await beforeJob(job);
      if (!hook.ok) {
        const reason = `its before-job hook ${hook.reason ?? 'failed'}`;
        this.#log.warn('refused a job', { jobId: job.jobId, attempt: job.attempt, reason });
        await this.#deps.transport.publish('ack', refusalMessage(job, reason));
        return;
      }
    }
    const isNew = await this.#deps.buffer.putJob(job);
    if (isNew) this.#receivedAt.set(`${job.jobId}:${job.attempt}`, Date.now());
    this.#queueAck(job);
    if (isNew) {
      this.#deps.runner.submit(job);
      this.#deps.taken(job);
      this.#watchWaiting();
    } else this.#log.debug('acknowledged a job it already holds', { jobId: job.jobId, attempt: job.attempt });
  }

  /** Looks again at the jobs waiting for a slot when the oldest of them will have waited too long. */
  #watchWaiting(): void {
    if (this.#waitWatch) return;
    const waited = this.#deps.runner.longestWait();
    if (waited === undefined) return;
    this.#waitWatch = setTimeout(
      () => {
        this.#waitWatch = undefined;
        this.#returnWaiting().catch((error: unknown) =>
          this.#log.error('could not give back jobs waiting for a slot', { error }),
        );
      },
      Math.max(10, RETURN_WAITING_AFTER_MS - waited),
    );
  }

  /** Draining: gives back at once every job still waiting for a slot that may run elsewhere. */
  async giveBackWaiting(): Promise<void> {
    await this.#giveBack(0);
  }

  /**
   * The watch's turn: gives back what waited too long, and watches the rest. Cut off or draining, it
   * stops watching (a Welcome starts it again; a drain gives back what waits itself).
   */
  async #returnWaiting(): Promise<void> {
    if (!this.#welcomed || !this.#deps.accepting()) return;
    await this.#giveBack(RETURN_WAITING_AFTER_MS);
    this.#watchWaiting();
  }

  /**
   * Gives back the jobs that have waited for a slot longer than `ms` (not offline-capable ones): out of
   * the runner and the inbox first, so that they can never start here, then told to the control plane,
   * which queues them again. Only while welcomed: cut off, the agent keeps them (and the control plane
   * releases them with its lease if the link stays down).
   */
  async #giveBack(ms: number): Promise<void> {
    if (!this.#welcomed) return;
    const jobs = this.#deps.runner.takeBackWaiting(ms);
    if (!jobs.length) return;
    for (const job of jobs) {
      this.#receivedAt.delete(`${job.jobId}:${job.attempt}`);
      await this.#deps.buffer.removeJob(job);
    }
    this.#log.info('gave back jobs that were waiting for a slot', { jobs: jobs.length });
    await this.#deps.transport.publish('ack', returnMessage(jobs));
    this.#deps.changed();
  }

  /** Acks of jobs stored in the same turn of the event loop go out as one message. */
  #queueAck(ref: JobRef): void {
    this.#acks.push(toRef(ref));
    if (this.#acks.length > 1) return;
    setImmediate(() => {
      const jobs = this.#acks;
      this.#acks = [];
      for (const ack of ackMessages(jobs)) {
        this.#deps.transport
          .publish('ack', ack)
          .catch((error: unknown) => this.#log.debug('ack not sent', { error }));
      }
    });
  }

  async #control(control: Control): Promise<void> {
    const { buffer, runner } = this.#deps;
    const current = this.#deps.transport.sessionId;
    switch (control.kind) {
      case 'welcome':
        if (control.sessionId === current) await this.#welcome(control);
        return;
      case 'rejected':
        if (control.sessionId !== current) return;
        this.#log.error('the control plane rejected this agent', {
          reason: control.reason,
          protocol: control.protocol,
        });
        if (control.bundle) this.#deps.bundleAdvertised?.(control.bundle, true);
        this.#deps.halt(`rejected: ${control.reason}`);
        return;
      case 'superseded':
        if (control.sessionId === current) this.#deps.halt('superseded by a newer session of this agent');
        return;
      case 'resultAck':
        if (!control.accepted)
          this.#log.warn('the control plane refused a result', {
            jobId: control.jobId,
            reason: control.reason,
          });
        await buffer.acknowledgeResult(control);
        this.#deps.changed();
        return;
      case 'logsAck':
        await buffer.removeOutbox(logsKey(control.jobId, control.attempt, control.seq));
        this.#deps.changed();
        return;
      case 'kill':
        if (!runner.kill(control, control.reason))
          this.#log.info('asked to kill a job it does not run', { jobId: control.jobId });
        return;
      case 'maintenance':
        this.#log.info(`maintenance mode ${control.enabled ? 'on' : 'off'}, set by the control plane`);
        this.#deps.setMaintenance(control.enabled);
        this.heartbeat();
        return;
      case 'heartbeatAck':
        this.#renewed();
        await Promise.all(control.drop.map((ref) => this.#drop(ref)));
        if (control.bundle) this.#deps.bundleAdvertised?.(control.bundle, false);
        return;
      case 'credential':
        await this.#rotate(control.credentialId, control.credential);
        return;
    }
  }

  async #welcome(welcome: Welcome): Promise<void> {
    clearTimeout(this.#helloRetry);
    clearTimeout(this.#leaseWatch);
    this.#leaseWatch = undefined;
    this.#renewed();
    await Promise.all(welcome.drop.map((ref) => this.#drop(ref)));
    this.#welcomed = true;
    this.#connectionChangedAt = new Date();
    this.#log.info('welcomed', { sessionId: welcome.sessionId, dropped: welcome.drop.length });
    this.#watchWaiting();
    for (const entry of await this.#deps.buffer.pendingOutbox()) this.publish(entry);
    const interval = Math.min(
      welcome.heartbeatIntervalMs,
      this.#deps.heartbeatIntervalMs ?? Number.POSITIVE_INFINITY,
    );
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.heartbeat(), interval);
    this.#deps.changed();
    if (welcome.bundle) this.#deps.bundleAdvertised?.(welcome.bundle, false);
    if (!this.#recovered) {
      this.#recovered = true;
      await this.#deps.recover();
    }
  }

  /** Stores the new credential, uses it from the next connection on, then says so (the old one dies then). */
  async #rotate(credentialId: string, credential: string): Promise<void> {
    const { storeCredential, transport } = this.#deps;
    if (!storeCredential) {
      this.#log.warn('a new credential came, but this agent keeps none (not enrolled); it keeps its own');
      return;
    }
    await storeCredential(credential);
    transport.setCredential(credential);
    await transport.publish('credential', { ...ackEnvelope(), credentialId });
    this.#log.info('credential rotated');
  }

  /** The control plane no longer gives this agent the job: stop it, send nothing, forget it. */
  async #drop(ref: JobRef, reason?: string): Promise<void> {
    this.#log.info('dropping a job', { jobId: ref.jobId, attempt: ref.attempt });
    await this.#deps.runner.drop(ref, reason);
    await this.#deps.buffer.forgetJob(ref);
  }
}
