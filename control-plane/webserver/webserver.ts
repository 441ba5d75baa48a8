// The webserver component: fastify with the REST API, health, and MQTT over WebSocket on `/mqtt`.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { enforceAccess, type RouteAccess, requireAccessDeclarations } from './auth/access.ts';
import type { WebserverDeps } from './deps.ts';
import { errorHandler } from './errors.ts';
import { accessRoutes } from './routes/access.ts';
import { agentFileRoutes } from './routes/agent-files.ts';
import { agentRoutes } from './routes/agents.ts';
import { enrolmentRoutes } from './routes/enrolment.ts';
import { executionOperationRoutes } from './routes/execution-operations.ts';
import { executionRoutes } from './routes/executions.ts';
import { flowRoutes } from './routes/flows.ts';
import { installRoutes } from './routes/install.ts';
import { logRoutes } from './routes/logs.ts';

export interface WebserverOptions {
  host: string;
  port: number;
  /** largest request body in bytes (default 1 MiB) */
  bodyLimitBytes?: number;
  /** largest file uploaded as a FILE input, in bytes (default 1 GiB) */
  maxUploadBytes?: number;
  /** false only for `roost server local` in evaluation mode: every caller is then an admin */
  auth: boolean;
  /** PEM certificate and key: serve HTTPS (and thereby wss:// for MQTT) */
  tls?: { cert: string; key: string } | undefined;
}

export interface App {
  app: FastifyInstance;
  /** every route fastify has, with who may call it */
  routes: readonly RouteAccess[];
}

export function buildApp(
  deps: WebserverDeps,
  options: Pick<WebserverOptions, 'bodyLimitBytes' | 'maxUploadBytes' | 'auth' | 'tls'>,
): App {
  // pino's logger type is wider than fastify's base logger type; the instance is the same either way
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    // per-request lines would drown everything else: the webserver logs warnings and errors only
    loggerInstance: deps.logger.child({ component: 'webserver' }, { level: 'warn' }),
    bodyLimit: options.bodyLimitBytes ?? 1 << 20,
    // stopping must not wait for clients that follow an execution (server-sent events never end by themselves)
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  for (const type of ['application/x-yaml', 'application/yaml', 'text/yaml', 'text/plain']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  const maxUploadBytes = options.maxUploadBytes ?? 1 << 30;
  void app.register(multipart, { limits: { fileSize: maxUploadBytes, files: 64, fields: 256 } });
  app.setErrorHandler(errorHandler);
  const routes: RouteAccess[] = [];
  requireAccessDeclarations(app, routes);
  enforceAccess(app, {
    repository: deps.repository,
    enabled: options.auth,
    verifyAgent: deps.verifyAgent,
  });
  app.get('/health', { config: { access: 'public' } }, async () => ({ status: 'UP' }));
  accessRoutes(app, deps, { secureCookies: Boolean(options.tls) });
  flowRoutes(app, deps);
  executionRoutes(app, deps);
  executionOperationRoutes(app, deps);
  logRoutes(app, deps);
  agentRoutes(app, deps);
  agentFileRoutes(app, deps, maxUploadBytes);
  enrolmentRoutes(app, deps);
  installRoutes(app, deps);
  return { app, routes };
}

export class Webserver {
  readonly app: FastifyInstance;
  readonly routes: readonly RouteAccess[];
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 8 << 20 });
  private started = false;

  constructor(
    private readonly deps: WebserverDeps,
    private readonly options: WebserverOptions,
  ) {
    ({ app: this.app, routes: this.routes } = buildApp(deps, options));
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.started) return this.port();
    this.started = true;
    this.app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(request, socket, head),
    );
    await this.app.listen({ host: this.options.host, port: this.options.port });
    return this.port();
  }

  port(): number {
    const address = this.app.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer) {
    const path = (request.url ?? '').split('?')[0];
    const mqtt = this.deps.mqttStream;
    if (path !== '/mqtt' || !mqtt) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    socket.setNoDelay(true);
    this.wss.handleUpgrade(request, socket, head, (ws) => mqtt(createWebSocketStream(ws)));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    await this.app.close();
  }
}
