// The agent gateway: hears agents over the embedded broker, grants leases on queued jobs to live agents
// of the right group, accepts results only from the lease holder, and re-dispatches work of lost agents.
import type { AedesPublishPacket, PublishPacket } from 'aedes';
import {
  type AgentBundle,
  ALL_UP_TOPICS,
  type Control,
  type DownKind,
  decodeUp,
  downTopic,
  encode,
  type Hello,
  isDecodableUp,
  type Job,
  newId,
  PROTOCOL_VERSION,
  parseUpTopic,
  protocolSupported,
  SUPPORTED_PROTOCOL,
  showRange,
  type UpMessage,
  type VersionRange,
  versionInRange,
} from '../../protocol/index.ts';
import type { ExecutorLink, StoppedJob } from '../executor/index.ts';
import type { Logger } from '../logger.ts';
import type { Connection, NewJob, Repository, Unlisten } from '../repository/index.ts';
import {
  AGENTS_CHANNEL,
  GROUPS_CHANNEL,
  JOBS_CHANNEL,
  PROCESS_INSTANCE,
  parseAgentNotice,
} from '../repository/index.ts';
import { onAgentNotice } from './agent-admin.ts';
import { AgentMessages } from './agent-messages.ts';
import type { Broker } from './broker.ts';
import { membershipOf, type WorkerGroupSelector } from './groups.ts';
import { Leasing } from './leasing.ts';
import { QueuedHint } from './queued-hint.ts';
import { failUnplaceable, releaseAgent, sweep } from './recovery.ts';
import { Sessions } from './sessions.ts';

export interface DispatcherOptions {
  repository: Repository;
  connection: Pick<Connection, 'listen'>;
  broker: Broker;
  logger: Logger;
  /** how results and failures reach the executor (inline when one runs in this process) */
  executor: ExecutorLink;
  leaseMs?: number;
  /** how long past its lease an offline-capable job stays with an agent that is out of reach (default 1 h) */
  offlineGraceMs?: number;
  heartbeatIntervalMs?: number;
  /** agent versions accepted (default: any) */
  agentVersions?: VersionRange;
  /** the agent bundle served to installers, advertised for upgrades (read at each Welcome) */
  agentBundle?: () => AgentBundle | undefined;
  /** a task whose agents die this many times fails instead of taking down the fleet (default 2) */
  maxAgentLost?: number;
  now?: () => Date;
}

type DispatcherState = 'idle' | 'running' | 'stopping' | 'stopped';

export class Dispatcher {
  readonly sessions = new Sessions();
  readonly queued = new QueuedHint();
  private state: DispatcherState = 'idle';
  private groups: WorkerGroupSelector[] = [];
  private unlisten: Unlisten | undefined;
  private unlistenGroups: Unlisten | undefined;
  private unlistenAgents: Unlisten | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private dispatching: Promise<void> | undefined;
  private dispatchAgain = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly messages: AgentMessages;
  readonly leasing: Leasing;
  readonly leaseMs: number;
  readonly offlineGraceMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxAgentLost: number;
  readonly now: () => Date;
  private readonly deliver = (packet: AedesPublishPacket, done: () => void) => {
    done();
    this.track(this.onPacket(packet.topic, packet.payload as Buffer));
  };

  constructor(readonly options: DispatcherOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.offlineGraceMs = options.offlineGraceMs ?? 3_600_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.max(100, Math.floor(this.leaseMs / 3));
    this.maxAgentLost = options.maxAgentLost ?? 2;
    this.now = options.now ?? (() => new Date());
    this.messages = new AgentMessages(this);
    this.leasing = new Leasing(this);
  }

  get repository(): Repository {
    return this.options.repository;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    await this.loadGroups();
    this.unlistenGroups = await this.options.connection.listen(GROUPS_CHANNEL, () => {
      this.track(this.loadGroups().then(() => this.dispatchSoon()));
    });
    this.unlistenAgents = await this.options.connection.listen(AGENTS_CHANNEL, (payload) => {
      const notice = parseAgentNotice(payload);
      if (notice)
        this.track(
          onAgentNotice(this, notice).catch((error) =>
            this.logger.error({ err: error, ...notice }, 'agent change failed'),
          ),
        );
    });
    await new Promise<void>((resolve) =>
      this.options.broker.aedes.subscribe(ALL_UP_TOPICS, this.deliver, resolve),
    );
    this.unlisten = await this.options.connection.listen(JOBS_CHANNEL, (origin) => {
      if (origin === PROCESS_INSTANCE) return; // jobsCreated() already told us
      this.markAll();
      this.dispatchSoon();
    });
    const sweepMs = Math.max(100, Math.min(5_000, Math.floor(this.leaseMs / 4)));
    this.sweepTimer = setInterval(() => this.track(sweep(this)), sweepMs);
    this.sweepTimer.unref();
    this.logger.info({ leaseMs: this.leaseMs }, 'dispatcher started');
    this.markAll();
    this.dispatchSoon();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    clearInterval(this.sweepTimer);
    await new Promise<void>((resolve) =>
      this.options.broker.aedes.unsubscribe(ALL_UP_TOPICS, this.deliver, resolve),
    );
    await this.unlisten?.();
    await this.unlistenGroups?.();
    await this.unlistenAgents?.();
    await this.dispatching;
    await Promise.allSettled([...this.inFlight]);
    this.state = 'stopped';
  }

  /** Reads the declared worker groups and recomputes every live agent's membership. */
  private async loadGroups(): Promise<void> {
    this.groups = (await this.repository.agents.workerGroups()).map((g) => ({
      key: g.key,
      selector: g.selector,
    }));
    for (const session of this.sessions.all()) session.membership = this.membership(session.labels);
    this.markAll();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Jobs just committed in this process: fail those that must not wait, and dispatch the rest now. */
  jobsCreated(jobs: readonly NewJob[]): void {
    const mustNotWait = jobs.filter((j) =>
      j.pinnedAgentId
        ? !this.sessions.get(j.pinnedAgentId) // its WorkingDirectory's agent is gone
        : j.fallback && j.fallback !== 'WAIT' && !this.sessions.groupHasAgents(j.workerGroup ?? null),
    );
    if (mustNotWait.length)
      this.track(
        failUnplaceable(
          this,
          mustNotWait.map((j) => j.id),
        ),
      );
    for (const job of jobs) this.queued.add(job.workerGroup, job.slots);
    this.dispatchSoon();
  }

  membership(labels: Record<string, string>) {
    return membershipOf(labels, this.groups);
  }

  publish(agentId: string, kind: DownKind, message: Control | Job): void {
    const packet = {
      cmd: 'publish',
      topic: downTopic(agentId, kind),
      payload: encode(message),
      qos: 1,
      retain: false,
      dup: false,
    } as PublishPacket;
    this.options.broker.aedes.publish(packet, (error) => {
      if (error) this.logger.warn({ err: error, agentId }, 'publish to agent failed');
    });
  }

  /** Message ids: unique per sender, so a process id and a counter do (no random bytes per message). */
  private readonly idPrefix = newId();
  private messageCount = 0;

  envelope() {
    return { v: PROTOCOL_VERSION, id: `${this.idPrefix}.${++this.messageCount}` };
  }

  /** Coalesces wake-ups: one dispatch pass at a time, and one more if woken meanwhile. */
  dispatchSoon(): void {
    if (this.state !== 'running') return;
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = this.leasing
      .pass()
      .catch((error) => this.logger.error({ err: error }, 'dispatch pass failed'))
      .finally(() => {
        this.dispatching = undefined;
        if (this.dispatchAgain) {
          this.dispatchAgain = false;
          this.dispatchSoon();
        }
      });
  }

  /** Releases every lease of a lost agent; each job goes back to the queue or fails. */
  releaseAgent(agentId: string, reason: string): Promise<void> {
    return releaseAgent(this, agentId, reason);
  }

  /** Marks every live agent's groups: jobs may be queued for any of them (startup, other processes, sweep). */
  markAll(): void {
    for (const session of this.sessions.all()) this.queued.addMembership(session.membership);
  }

  private async onPacket(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseUpTopic(topic);
    if (!parsed || !isDecodableUp(parsed.kind)) {
      this.logger.warn({ topic }, 'message on an unknown topic dropped');
      return;
    }
    const decoded = decodeUp(parsed.kind, payload);
    if (!decoded.ok) {
      this.logger.warn(
        { agentId: parsed.agentId, kind: parsed.kind, reason: decoded.error },
        'malformed agent message dropped',
      );
      return;
    }
    try {
      await this.messages.handle(parsed.agentId, parsed.kind, decoded.value as UpMessage[typeof parsed.kind]);
    } catch (error) {
      this.logger.error({ err: error, agentId: parsed.agentId, kind: parsed.kind }, 'agent message failed');
    }
  }

  /** The accepted agent versions, as Welcome and Rejected advertise them. */
  advertisedVersions(): { agentVersions?: string; bundle?: AgentBundle } {
    const range = this.options.agentVersions;
    const bundle = this.options.agentBundle?.();
    return { ...(range ? { agentVersions: showRange(range) } : {}), ...(bundle ? { bundle } : {}) };
  }

  /** Why this agent's version is refused, or undefined when it is accepted. */
  refusesVersion(agentVersion: string): string | undefined {
    const range = this.options.agentVersions;
    if (!range || versionInRange(agentVersion, range)) return undefined;
    return `agent version ${agentVersion} is outside the range this control plane accepts (${showRange(range)}): upgrade it (re-run install.sh from the control plane)`;
  }

  /** Checks a hello's protocol version. */
  accepts(hello: Hello): boolean {
    return protocolSupported(hello.v);
  }

  readonly protocolRange = { min: SUPPORTED_PROTOCOL.min, max: SUPPORTED_PROTOCOL.max };

  /**
   * Jobs a decision ended (killed, timed out): each agent running one is told over MQTT, and again by
   * its next heartbeat reply, since the lease is gone. A result it still sends is refused.
   */
  jobsStopped(stopped: readonly StoppedJob[]): void {
    for (const job of stopped) {
      if (!job.agentId) continue;
      this.sessions.get(job.agentId)?.leases.delete(job.jobId);
      this.publish(job.agentId, 'control', {
        ...this.envelope(),
        kind: 'kill',
        jobId: job.jobId,
        attempt: job.attempt,
        reason: job.reason,
      });
    }
    this.dispatchSoon();
  }

  /**
   * Maintenance mode set from the control plane: no new job goes to the agent from now on, and the
   * agent is told (it then says so in its heartbeats). False when the agent has no live session here.
   */
  async setMaintenance(agentId: string, enabled: boolean): Promise<boolean> {
    const session = this.sessions.get(agentId);
    if (!session) return false;
    session.maintenance = enabled;
    await this.repository.agents.setMaintenance(agentId, enabled);
    this.publish(agentId, 'control', { ...this.envelope(), kind: 'maintenance', enabled });
    if (!enabled) {
      this.queued.addMembership(session.membership);
      this.dispatchSoon();
    }
    return true;
  }

  track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}
