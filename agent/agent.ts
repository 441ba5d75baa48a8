// The Agent component: wires buffer, transport, runner and session, and owns start, drain and stop.
import { join } from 'node:path';
import { KestraEnvSecrets } from '../protocol/environment.ts';
import { RoostError } from '../protocol/errors.ts';
import { renderDeep } from '../protocol/expressions/index.ts';
import type { Job, JobRef, Logs, Result } from '../protocol/messages.ts';
import { openLibsqlBuffer } from './buffer/index.ts';
import { type AgentBuffer, logsKey, resultKey } from './buffer/types.ts';
import { HookName, HookRunner, jobHookEnv } from './hooks.ts';
import { createConsoleLogger, type Logger } from './logger.ts';
import { type AgentOptions, childEnvironment, defaultReady, expressionEnvs } from './options.ts';
import { recoverInbox } from './recovery.ts';
import { Runner, type RunnerSink } from './runner/runner.ts';
import { LocalSecrets, secretsFromEnv } from './secrets.ts';
import { Session } from './session.ts';
import { AgentState, type AgentStatus } from './status.ts';
import { FileClient, filesBaseUrl } from './tasks/files/client.ts';
import { MqttTransport } from './transport/mqtt.ts';
import { proxyFor } from './transport/proxy.ts';
import type { AgentTransport } from './transport/types.ts';

export { AgentState, type AgentStatus } from './status.ts';

interface Parts {
  hooks: HookRunner;
  buffer: AgentBuffer;
  transport: AgentTransport;
  runner: Runner;
  session: Session;
}

export class Agent {
  readonly #options: AgentOptions;
  readonly #log: Logger;
  #state: AgentState = AgentState.created;
  #parts: Parts | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #forced = false;
  #halted = false;
  #maintenance: boolean;
  readonly #afterJobHooks = new Set<Promise<void>>();
  #lastCounts = { inbox: 0, outbox: 0 };
  #changeWaiters: (() => void)[] = [];
  #stopped: { promise: Promise<void>; resolve: () => void };

  constructor(options: AgentOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) {
      throw new RangeError(`slots must be a positive integer, not ${options.slots}`);
    }
    this.#options = options;
    this.#maintenance = Boolean(options.maintenance);
    this.#log = options.logger ?? createConsoleLogger(`agent ${options.agentId}`);
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#stopped = { promise, resolve };
  }

  get state(): AgentState {
    return this.#state;
  }

  /** Resolves when the agent has stopped, whether asked to or on its own (superseded, rejected). */
  whenStopped(): Promise<void> {
    return this.#stopped.promise;
  }

  start(): Promise<void> {
    if (this.#stopping && !this.#starting) return Promise.resolve();
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Drains (takes nothing new, finishes running jobs, flushes the outbox) and disconnects; `force` kills running jobs. */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) this.#force();
    this.#stopping ??= this.#drainAndStop();
    return this.#stopping;
  }

  /** Maintenance mode set locally (the health port, `roost agent maintenance on|off`): no new jobs. */
  setMaintenance(enabled: boolean): void {
    if (this.#maintenance === enabled) return;
    this.#maintenance = enabled;
    this.#log.info(`maintenance mode ${enabled ? 'on' : 'off'}`);
    this.#parts?.session.heartbeat();
  }

  async status(): Promise<AgentStatus> {
    const parts = this.#parts;
    if (parts && this.#state !== AgentState.stopped) {
      this.#lastCounts = {
        inbox: (await parts.buffer.heldJobs()).length,
        outbox: await parts.buffer.outboxSize(),
      };
    }
    return {
      state: this.#state,
      connected: parts?.session.welcomed ?? false,
      ...(parts ? { since: parts.session.connectionChangedAt.toISOString() } : {}),
      maintenance: this.#maintenance || this.#state !== AgentState.running,
      slotsInUse: parts?.runner.slotsInUse ?? 0,
      slots: this.#options.slots,
      ...this.#lastCounts,
    };
  }

  #setState(state: AgentState): void {
    if (state === this.#state) return;
    this.#log.info(`state ${this.#state} -> ${state}`);
    this.#state = state;
  }

  async #start(): Promise<void> {
    this.#setState(AgentState.starting);
    const o = this.#options;
    const hooks = new HookRunner({
      hooks: o.hooks ?? {},
      env: childEnvironment(),
      agent: { id: o.agentId, name: o.name },
      logger: this.#log.child('hooks'),
    });
    const started = await hooks.run(HookName.start);
    if (!started.ok) {
      this.#setState(AgentState.stopped);
      this.#stopped.resolve();
      throw new RoostError('ROOST_HOOK_FAILED', `the start hook ${started.reason}: the agent does not start`);
    }
    const buffer = o.buffer ?? (await openLibsqlBuffer(o.dataDir));
    const transport =
      o.transport ??
      new MqttTransport({
        url: o.url,
        tls: o.tls,
        agentId: o.agentId,
        secret: o.secret,
        logger: this.#log.child('mqtt'),
        backoff: o.backoff,
        ...brokerProxy(o.url, o.env ?? process.env),
      });
    const runner = new Runner({
      slots: o.slots,
      sink: this.#sink(),
      renderer: { renderDeep },
      logger: this.#log.child('runner'),
      envs: expressionEnvs(o.env ?? process.env),
      secrets: new LocalSecrets(
        { ...o.secrets, ...secretsFromEnv(o.env ?? process.env) },
        new KestraEnvSecrets(o.env ?? process.env),
      ),
      childEnv: childEnvironment(),
      workRoot: join(o.dataDir, 'work'),
      killGraceMs: o.killGraceMs,
      ...this.#fileClient(),
    });
    const session = new Session({
      agentId: o.agentId,
      name: o.name,
      labels: o.labels,
      ...(o.prefetch ? { prefetch: o.prefetch } : {}),
      ready: o.once ? 0 : (o.ready ?? defaultReady(o.slots)),
      transport,
      buffer,
      runner,
      logger: this.#log.child('session'),
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      helloRetryMs: o.helloRetryMs ?? 5_000,
      storeCredential: o.storeCredential,
      bundleAdvertised: o.bundleAdvertised,
      maintenance: () => this.#maintenance || this.#state !== AgentState.running,
      ...(hooks.has(HookName.beforeJob)
        ? { beforeJob: (job: Job) => hooks.run(HookName.beforeJob, jobHookEnv(job)) }
        : {}),
      setMaintenance: (enabled) => {
        this.#maintenance = enabled;
      },
      taken: () => {
        // --once: the first job is the only one; draining says maintenance at once and waits for its result
        if (o.once) void this.stop();
      },
      accepting: () => this.#state === AgentState.running,
      halt: (reason) => void this.#halt(reason),
      recover: () => recoverInbox({ buffer, runner, logger: this.#log, publish: (e) => session.publish(e) }),
      changed: () => this.#changed(),
    });
    this.#parts = { hooks, buffer, transport, runner, session };
    this.#setState(AgentState.running);
    this.#log.info('connecting', { url: o.url.replace(/\/\/[^@/]*@/, '//***@'), slots: o.slots });
    transport.start(session.handlers());
  }

  /** Commits each step of a job before it is published. */
  /** The runner's file client, when the control plane's HTTP URL is known. */
  #fileClient(): { files?: FileClient } {
    const o = this.#options;
    const base = filesBaseUrl(o.url, o.serverUrl);
    return base ? { files: new FileClient(base, { agentId: o.agentId, secret: o.secret }) } : {};
  }

  #sink(): RunnerSink {
    const parts = () => this.#parts as Parts;
    return {
      started: (ref: JobRef) => parts().buffer.markRunning(ref),
      logs: async (chunk: Logs) => {
        await parts().buffer.appendLogs(chunk);
        parts().session.publish({
          key: logsKey(chunk.jobId, chunk.attempt, chunk.seq),
          kind: 'logs',
          message: chunk,
        });
      },
      finished: async (ref: JobRef, finalChunk: Logs | undefined, result: Result) => {
        const { buffer, session } = parts();
        await buffer.finishJob(ref, finalChunk, result);
        if (finalChunk)
          session.publish({
            key: logsKey(ref.jobId, ref.attempt, finalChunk.seq),
            kind: 'logs',
            message: finalChunk,
          });
        session.publish({ key: resultKey(ref.jobId, ref.attempt), kind: 'result', message: result });
        const job = (await buffer.getJob(ref))?.job;
        if (job && parts().hooks.has(HookName.afterJob)) {
          const after = parts()
            .hooks.run(HookName.afterJob, jobHookEnv(job, result.state))
            .then((hook) => {
              if (!hook.ok) this.#log.warn(`the after-job hook ${hook.reason}`, { jobId: ref.jobId });
            });
          this.#afterJobHooks.add(after);
          void after.finally(() => this.#afterJobHooks.delete(after));
        }
      },
    };
  }

  #changed(): void {
    for (const wake of this.#changeWaiters.splice(0)) wake();
  }

  /** Stopping by force: starts nothing more, kills what runs (jobs left waiting stay held, unstarted). */
  #killAll(runner: Runner): void {
    runner.pause();
    for (const ref of runner.running()) runner.kill(ref, 'the agent was stopped by force');
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => this.#changeWaiters.push(resolve));
  }

  #force(): void {
    if (this.#forced) return;
    this.#forced = true;
    this.#log.warn('stopping by force: killing running jobs');
    if (this.#parts) this.#killAll(this.#parts.runner);
    this.#changed();
  }

  async #drainAndStop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const parts = this.#parts;
    if (!parts || this.#state === AgentState.stopped || this.#state === AgentState.stopping) {
      return this.#finish(parts);
    }
    this.#setState(AgentState.draining);
    // A graceful stop hands back the jobs still waiting for a slot, for other agents (cut off, it cannot:
    // it runs them), and finishes the running ones and the offline-capable ones it holds.
    parts.session.heartbeat();
    if (this.#forced) this.#killAll(parts.runner);
    else await parts.session.giveBackWaiting();
    await parts.runner.whenIdle();
    await Promise.all([...this.#afterJobHooks]);
    // --once promises the result is delivered before it exits: it waits for the link to come back
    while (
      !this.#forced &&
      (parts.session.welcomed || this.#options.once) &&
      (await parts.buffer.outboxSize()) > 0
    ) {
      await this.#nextChange();
    }
    await this.#finish(parts);
  }

  /** Superseded or rejected: stop running work without reporting it and never reconnect, even mid-drain. */
  async #halt(reason: string): Promise<void> {
    if (this.#halted) return;
    this.#halted = true;
    this.#log.warn(`stopping: ${reason}`);
    const parts = this.#parts;
    this.#setState(AgentState.stopping);
    parts?.runner.pause();
    const dropped = Promise.all((parts?.runner.running() ?? []).map((ref) => parts?.runner.drop(ref)));
    await parts?.transport.stop();
    this.#changed();
    this.#stopping ??= dropped.then(() => this.#finish(parts));
    await this.#stopping;
  }

  async #finish(parts: Parts | undefined): Promise<void> {
    if (this.#state === AgentState.stopped) return;
    this.#setState(AgentState.stopping);
    if (parts) {
      parts.session.close();
      await parts.transport.stop();
      this.#lastCounts = {
        inbox: (await parts.buffer.heldJobs()).length,
        outbox: await parts.buffer.outboxSize(),
      };
      await parts.buffer.close();
      const hook = await parts.hooks.run(HookName.stop);
      if (!hook.ok) this.#log.warn(`the stop hook ${hook.reason}`);
    }
    this.#setState(AgentState.stopped);
    this.#stopped.resolve();
  }
}

function brokerProxy(url: string, env: Record<string, string | undefined>): { proxy?: string } {
  const proxy = proxyFor(url, env);
  return proxy ? { proxy } : {};
}
