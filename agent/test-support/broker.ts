// A real aedes broker for tests: TCP (and optionally WebSocket at /mqtt) on a free loopback port.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface TestBroker {
  url: string;
  /** ws://127.0.0.1:port (no path: the agent adds /mqtt), when started with websocket */
  wsUrl: string | undefined;
  aedes: Aedes;
  /** Cuts one client's connection from the broker side. */
  dropClient(clientId: string): boolean;
  /** Closes every connection and the listeners, then listens again on the same ports. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startBroker(options: { secret: string; websocket?: boolean }): Promise<TestBroker> {
  let aedes: Aedes;
  let tcp: Server;
  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  const sockets = new Set<Socket>();
  let tcpPort = 0;
  let wsPort = 0;

  async function open(): Promise<void> {
    aedes = await Aedes.createBroker({
      authenticate(_client, _username, password, done) {
        if (password?.toString() === options.secret) return done(null, true);
        const error = new Error('bad secret') as AuthenticateError;
        error.returnCode = 4;
        done(error, false);
      },
    });
    tcp = createServer((socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    tcpPort = await listen(tcp, tcpPort);
    if (options.websocket) {
      http = createHttpServer();
      http.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      wss = new WebSocketServer({ server: http, path: '/mqtt' });
      wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws)));
      wsPort = await listen(http, wsPort);
    }
  }

  async function shut(): Promise<void> {
    for (const socket of sockets) socket.destroy();
    wss?.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closeServer(tcp);
    if (http) await closeServer(http);
  }

  await open();
  return {
    get url() {
      return `mqtt://127.0.0.1:${tcpPort}`;
    },
    get wsUrl() {
      return options.websocket ? `ws://127.0.0.1:${wsPort}` : undefined;
    },
    get aedes() {
      return aedes;
    },
    dropClient(clientId) {
      const client = (aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[
        clientId
      ];
      client?.close();
      return client !== undefined;
    },
    async restart() {
      await shut();
      await open();
    },
    close: shut,
  };
}
