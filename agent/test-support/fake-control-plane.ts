// A tiny control plane for agent tests, written with mqtt.js: records what agents send, answers as told.
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import type { Control, Job, JobRef, UpMessage } from '../../protocol/messages.ts';
import { ALL_UP_TOPICS, downTopic, parseUpTopic } from '../../protocol/topics.ts';
import { decodeUp, encode, isDecodableUp } from '../../protocol/validate.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

type Kind = keyof UpMessage;
export interface Received<K extends Kind = Kind> {
  agentId: string;
  kind: K;
  message: UpMessage[K];
}

export interface FakeControlPlaneOptions {
  /** answer every Hello with a Welcome (default true); `drop` picks the held jobs to drop */
  autoWelcome?: boolean;
  drop?: (held: JobRef[]) => JobRef[];
  heartbeatIntervalMs?: number;
  /** answer Logs with LogsAck and Result with ResultAck (default true) */
  autoAck?: boolean;
}

let counter = 0;
const envelope = () => ({ v: PROTOCOL_VERSION, id: `cp-${++counter}` });

export class FakeControlPlane {
  readonly received: Received[] = [];
  /** payloads that failed validation: an agent must never send one */
  readonly invalid: string[] = [];
  readonly options: FakeControlPlaneOptions;
  readonly #client: MqttClient;
  #waiters: { kind: Kind; match: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];

  private constructor(client: MqttClient, options: FakeControlPlaneOptions) {
    this.#client = client;
    this.options = options;
    client.on('message', (topic, payload) => this.#receive(topic, payload));
  }

  static async connect(
    url: string,
    secret: string,
    options: FakeControlPlaneOptions = {},
  ): Promise<FakeControlPlane> {
    const client = await mqtt.connectAsync(url, {
      clientId: `control-plane-${++counter}`,
      username: 'control-plane',
      password: secret,
      reconnectPeriod: 100,
      protocolVersion: 4,
    });
    const noDelay = () => (client.stream as Partial<Socket>).setNoDelay?.(true);
    noDelay();
    await client.subscribeAsync(ALL_UP_TOPICS, { qos: 1 });
    client.on('connect', () => {
      noDelay();
      void client.subscribeAsync(ALL_UP_TOPICS, { qos: 1 });
    });
    return new FakeControlPlane(client, options);
  }

  /** The first message of `kind` (already received or still to come) that matches. */
  waitFor<K extends Kind>(
    kind: K,
    match: (message: UpMessage[K]) => boolean = () => true,
  ): Promise<UpMessage[K]> {
    const test = (r: Received) => r.kind === kind && match(r.message as UpMessage[K]);
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen.message as UpMessage[K]);
    return new Promise((resolve) => {
      this.#waiters.push({ kind, match: test, resolve: (r) => resolve(r.message as UpMessage[K]) });
    });
  }

  all<K extends Kind>(kind: K, match: (message: UpMessage[K]) => boolean = () => true): UpMessage[K][] {
    return this.received
      .filter((r) => r.kind === kind)
      .map((r) => r.message as UpMessage[K])
      .filter(match);
  }

  async sendJob(agentId: string, job: Job): Promise<void> {
    await this.#client.publishAsync(downTopic(agentId, 'jobs'), encode(job), { qos: 1 });
  }

  async sendControl(agentId: string, control: Control): Promise<void> {
    await this.#client.publishAsync(downTopic(agentId, 'control'), encode(control), { qos: 1 });
  }

  async sendRaw(agentId: string, kind: 'jobs' | 'control', payload: string): Promise<void> {
    await this.#client.publishAsync(downTopic(agentId, kind), payload, { qos: 1 });
  }

  welcome(agentId: string, sessionId: string, drop: JobRef[] = []): Promise<void> {
    return this.sendControl(agentId, {
      ...envelope(),
      kind: 'welcome',
      sessionId,
      protocol: { min: 1, max: 1 },
      leaseMs: 30_000,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 10_000,
      drop,
    });
  }

  ackResult(agentId: string, ref: JobRef, accepted = true): Promise<void> {
    return this.sendControl(agentId, {
      ...envelope(),
      kind: 'resultAck',
      jobId: ref.jobId,
      attempt: ref.attempt,
      accepted,
    });
  }

  control<K extends Control['kind']>(
    kind: K,
    fields: Omit<Extract<Control, { kind: K }>, 'v' | 'id' | 'kind'>,
  ): Control {
    return { ...envelope(), kind, ...fields } as unknown as Control;
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }

  #receive(topic: string, payload: Buffer): void {
    const parsed = parseUpTopic(topic);
    if (!parsed || !isDecodableUp(parsed.kind)) return;
    const decoded = decodeUp(parsed.kind, payload);
    if (!decoded.ok) {
      this.invalid.push(`${topic}: ${decoded.error}`);
      return;
    }
    const received = { agentId: parsed.agentId, kind: parsed.kind, message: decoded.value } as Received;
    this.received.push(received);
    this.#answer(received).catch((error: unknown) => this.invalid.push(`could not answer: ${error}`));
    const ready = this.#waiters.filter((w) => w.match(received));
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(received);
  }

  async #answer(r: Received): Promise<void> {
    const { agentId } = r;
    if (r.kind === 'hello' && this.options.autoWelcome !== false) {
      const hello = r.message as UpMessage['hello'];
      await this.welcome(agentId, hello.sessionId, this.options.drop?.(hello.held) ?? []);
    } else if (r.kind === 'logs' && this.options.autoAck !== false) {
      const logs = r.message as UpMessage['logs'];
      await this.sendControl(
        agentId,
        this.control('logsAck', { jobId: logs.jobId, attempt: logs.attempt, seq: logs.seq }),
      );
    } else if (r.kind === 'result' && this.options.autoAck !== false) {
      await this.ackResult(agentId, r.message as UpMessage['result']);
    }
  }
}
