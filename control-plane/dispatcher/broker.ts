// The embedded MQTT broker (aedes): authenticates every client, confines each agent to its own topic
// tree, and listens on TCP (TCP_NODELAY on every socket) and on WebSocket streams handed to it.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import {
  agentDownSubscription,
  inAgentTree,
  isValidAgentId,
  MAX_MESSAGE_BYTES,
  parseUpTopic,
} from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { limitPackets } from './packet-limit.ts';

export interface BrokerOptions {
  /** checks an agent's credential (its own, or the shared secret for agents that have none) */
  verifyAgent: (agentId: string, password: Buffer) => Promise<boolean>;
  logger: Logger;
  /** largest MQTT packet a client may send (default MAX_PACKET_BYTES) */
  maxPacketBytes?: number;
}

function authError(message: string, code: 2 | 3 | 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

export function secretMatches(expected: string | undefined, given: Buffer): boolean {
  if (expected === undefined) return false;
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

export class Broker {
  readonly aedes: Aedes;
  private tcp: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: BrokerOptions) {
    this.aedes = new Aedes({
      id: 'roost',
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the control plane itself
        const up = parseUpTopic(packet.topic);
        if (!up || up.agentId !== client.id)
          return done(new Error(`agent ${client.id} may not publish to ${packet.topic}`));
        if (packet.payload.length > MAX_MESSAGE_BYTES) return done(new Error('payload too large'));
        done(null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const allowed =
          subscription.topic === agentDownSubscription(client.id) ||
          (inAgentTree(client.id, subscription.topic, 'down') && !/[+#]/.test(subscription.topic));
        if (!allowed) {
          this.options.logger.warn({ agentId: client.id, topic: subscription.topic }, 'subscription refused');
          // a null subscription is a refusal the client hears (SUBACK 0x80), as MQTT 3.1.1 specifies
          return done(null, null);
        }
        done(null, subscription);
      },
      authorizeForward: (client, packet) => (inAgentTree(client.id, packet.topic, 'down') ? packet : null),
    });
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ) {
    const id = client.id;
    if (!isValidAgentId(id))
      return done(authError(`client id ${JSON.stringify(id)} is not a valid agent id`, 2), false);
    if (username !== id) return done(authError('username must equal the client id', 4), false);
    if (!password) return done(authError('a password (the agent credential) is required', 4), false);
    this.options.verifyAgent(id, password).then(
      (ok) => {
        if (ok) return done(null, true);
        this.options.logger.warn({ agentId: id }, 'agent refused: bad credentials');
        done(authError('bad credentials', 5), false);
      },
      (error: unknown) => {
        this.options.logger.error({ err: error, agentId: id }, 'agent credential check failed');
        done(authError('credential check failed', 3), false);
      },
    );
  }

  /** Closes the connection of the agent with this client id, if it is connected here. */
  disconnect(agentId: string): boolean {
    const client = (this.aedes as unknown as { clients: Record<string, Client | undefined> }).clients[
      agentId
    ];
    if (!client) return false;
    client.close();
    return true;
  }

  /** Serves one connection, with its packets capped in size. */
  private serve(stream: Duplex): void {
    const limited = limitPackets(
      stream,
      (error) =>
        this.options.logger.warn({ reason: error.message }, 'MQTT connection closed: packet too large'),
      this.options.maxPacketBytes,
    );
    this.aedes.handle(limited);
  }

  /** Starts the broker's internals (aedes 1.x needs this before it serves any client). */
  async start(): Promise<void> {
    await this.aedes.listen();
  }

  /** Listens for MQTT over TCP (TLS when given a certificate and key) on `port` (0 = any free port); resolves with the bound port. */
  async listenTcp(port: number, host: string, tls?: { cert: string; key: string }): Promise<number> {
    const serve = (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.serve(socket);
    };
    this.tcp = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, serve) : createServer(serve);
    const server = this.tcp;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Serves one MQTT-over-WebSocket connection (the webserver hands it over). */
  handleStream(stream: Duplex): void {
    this.serve(stream);
  }

  async close(): Promise<void> {
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) {
      for (const socket of this.sockets) socket.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}
