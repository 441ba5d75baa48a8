// The agent's MQTT connection: one fresh client per session, TCP_NODELAY, jittered reconnects, validated input.
import type { Socket } from 'node:net';
import { HttpsProxyAgent } from 'https-proxy-agent';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { newId } from '../../protocol/ids.ts';
import type { Status, UpMessage } from '../../protocol/messages.ts';
import { agentDownSubscription, DownKind, downTopic, upTopic } from '../../protocol/topics.ts';
import { decodeControl, decodeJob, encode } from '../../protocol/validate.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { Logger } from '../logger.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, ReconnectSchedule } from './backoff.ts';
import type { AgentTransport, TransportHandlers, UpMessageKind } from './types.ts';
import { brokerUrl } from './url.ts';

export interface MqttTransportOptions {
  url: string;
  tls?: { ca: string; servername?: string | undefined } | undefined;
  agentId: string;
  secret: string;
  logger: Logger;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** HTTP proxy for ws:// and wss:// (CONNECT); see proxy.ts for how it is chosen */
  proxy?: string;
}

const STOP_TIMEOUT_MS = 2_000;

/** Turns Nagle's algorithm off on the client's socket: each QoS 1 round trip otherwise costs 40+ ms. */
export function disableNagle(client: MqttClient): void {
  const stream = client.stream as Partial<Socket> | undefined;
  // TCP and TLS sockets have setNoDelay; over WebSocket, the ws library sets it on its own socket.
  if (typeof stream?.setNoDelay === 'function') stream.setNoDelay(true);
}

export class MqttTransport implements AgentTransport {
  #options: MqttTransportOptions;
  readonly #log: Logger;
  readonly #schedule: ReconnectSchedule;
  #handlers: TransportHandlers | undefined;
  #client: MqttClient | undefined;
  #sessionId: string | undefined;
  #connected = false;
  #connectedAt: number | undefined;
  #redial: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(options: MqttTransportOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#schedule = new ReconnectSchedule(options.backoff ?? DEFAULT_BACKOFF, options.random);
  }

  get connected(): boolean {
    return this.#connected;
  }

  setCredential(credential: string): void {
    this.#options = { ...this.#options, secret: credential };
  }

  get sessionId(): string | undefined {
    return this.#connected ? this.#sessionId : undefined;
  }

  start(handlers: TransportHandlers): void {
    if (this.#handlers || this.#stopping) return;
    this.#handlers = handlers;
    this.#dial();
  }

  async publish<K extends UpMessageKind>(kind: K, message: UpMessage[K]): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected) throw new Error(`not connected: cannot publish ${kind}`);
    await client.publishAsync(upTopic(this.#options.agentId, kind), encode(message), { qos: 1 });
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#redial);
    const client = this.#client;
    if (!client) return;
    if (this.#connected) {
      try {
        await this.publish('status', this.#status(false));
      } catch (error) {
        this.#log.debug('could not say offline before disconnecting', { error });
      }
    }
    this.#connected = false;
    const forced = new Promise<void>((resolve) => {
      setTimeout(() => client.end(true, () => resolve()), STOP_TIMEOUT_MS).unref();
    });
    await Promise.race([client.endAsync(false), forced]);
    this.#log.info('disconnected');
  }

  #status(online: boolean): Status {
    return { v: PROTOCOL_VERSION, id: newId(), sessionId: this.#sessionId ?? 'none', online };
  }

  #dial(): void {
    const { agentId, secret } = this.#options;
    const sessionId = newId();
    this.#sessionId = sessionId;
    const options: IClientOptions = {
      clientId: agentId,
      username: agentId,
      password: secret,
      clean: true,
      protocolVersion: 4,
      keepalive: this.#options.keepaliveS ?? 15,
      connectTimeout: this.#options.connectTimeoutMs ?? 10_000,
      ...(this.#options.tls?.ca ? { ca: this.#options.tls.ca } : {}),
      ...(this.#options.tls?.servername ? { servername: this.#options.tls.servername } : {}),
      reconnectPeriod: 0, // reconnects are ours: a fresh client per session, on a jittered schedule
      resubscribe: false,
      will: {
        topic: upTopic(agentId, 'status'),
        payload: encode(this.#status(false)),
        qos: 1,
        retain: false,
      },
    };
    const url = brokerUrl(this.#options.url);
    const { proxy } = this.#options;
    const ca = this.#options.tls?.ca;
    if (proxy && url.startsWith('ws')) {
      options.wsOptions = { agent: new HttpsProxyAgent(proxy, ca ? { ca } : {}) };
    }
    this.#log.debug('dialling', { url: url.replace(/\/\/[^@/]*@/, '//***@'), proxy: Boolean(proxy) });
    const client = mqtt.connect(url, options);
    this.#client = client;
    const current = () => this.#client === client && !this.#stopping;
    client.on('connect', () => {
      if (!current()) return;
      disableNagle(client);
      this.#connectedAt = Date.now();
      this.#subscribe(client, sessionId, current);
    });
    client.on('message', (topic, payload) => {
      if (current()) this.#receive(topic, payload);
    });
    client.on('error', (error) => {
      if (current()) this.#log.warn('connection error', { error: error.message });
    });
    client.on('close', () => {
      if (current()) this.#closed(client);
    });
  }

  #subscribe(client: MqttClient, sessionId: string, current: () => boolean): void {
    client
      .subscribeAsync(agentDownSubscription(this.#options.agentId), { qos: 1 })
      .then(() => {
        if (!current()) return;
        this.#connected = true;
        this.#log.info('connected', { sessionId });
        client.publish(upTopic(this.#options.agentId, 'status'), encode(this.#status(true)), { qos: 1 });
        this.#handlers?.onConnected(sessionId);
      })
      .catch((error: unknown) => {
        this.#log.warn('could not subscribe; reconnecting', { error });
        client.end(true);
      });
  }

  #closed(client: MqttClient): void {
    const wasConnected = this.#connected;
    const connectedFor = this.#connectedAt === undefined ? undefined : Date.now() - this.#connectedAt;
    this.#connected = false;
    this.#connectedAt = undefined;
    this.#client = undefined;
    client.end(true);
    if (wasConnected) {
      this.#log.warn('connection lost');
      this.#handlers?.onDisconnected();
    }
    const delay = this.#schedule.nextDelayMs(connectedFor);
    this.#log.debug('reconnecting', { inMs: delay, attempt: this.#schedule.attempt });
    this.#redial = setTimeout(() => this.#dial(), delay);
  }

  #receive(topic: string, payload: Buffer): void {
    const { agentId } = this.#options;
    try {
      if (topic === downTopic(agentId, DownKind.jobs)) {
        const decoded = decodeJob(payload);
        if (decoded.ok) this.#handlers?.onJob(decoded.value);
        else this.#log.warn('dropped an invalid job message', { topic, reason: decoded.error });
      } else if (topic === downTopic(agentId, DownKind.control)) {
        const decoded = decodeControl(payload);
        if (decoded.ok) this.#handlers?.onControl(decoded.value);
        else this.#log.warn('dropped an invalid control message', { topic, reason: decoded.error });
      } else {
        this.#log.warn('dropped a message on an unexpected topic', { topic });
      }
    } catch (error) {
      this.#log.error('failed to handle a message', { topic, error });
    }
  }
}
