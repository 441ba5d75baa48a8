// Wires the control plane's components in one process, starts them in order and stops them in reverse.
import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from '../agent/index.ts';
import { newSecret, parseVersionRange, RoostError } from '../protocol/index.ts';
import { PlaceholderComponent } from './components.ts';
import { authEnabled, type ServerConfig } from './config.ts';
import { Broker, Dispatcher } from './dispatcher/index.ts';
import { agentVerifier } from './enrolment/index.ts';
import { createExecution, ExecutionOperations, Executor, inlineLink, renderHost } from './executor/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { type Database, openDatabase } from './repository/index.ts';
import { LocalStorage, type Storage } from './storage/index.ts';
import { bootstrapAdmin, bundleAdvertiser, type RouteAccess, Webserver } from './webserver/index.ts';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..');

export interface RunningServer {
  readonly httpPort: number;
  /** the MQTT TCP port, or undefined when TCP is off or its port was taken */
  readonly mqttPort: number | undefined;
  /** the shared secret of agents that did not enrol (always set in local mode; optional in standalone) */
  readonly agentSecret: string | undefined;
  readonly database: Database;
  readonly storage: Storage;
  /** whether the API authenticates its callers */
  readonly auth: boolean;
  /** whether HTTP and MQTT TCP serve TLS */
  readonly tls: boolean;
  /** the admin token generated on a first start: shown once, never readable again */
  readonly firstAdminToken: string | undefined;
  /** every HTTP route, with who may call it */
  readonly routes: readonly RouteAccess[];
  stop(): Promise<void>;
}

export interface ServerOptions {
  mode: 'local' | 'standalone';
  config: ServerConfig;
  logger?: Logger;
  /** run the in-process agent (default: true for local) */
  localAgent?: boolean;
  /** the control plane's environment: ENV_* as `envs`, SECRET_* for secret() in what the executor renders (default process.env) */
  env?: Record<string, string | undefined>;
}

/**
 * The shared secret of agents that did not enrol: configured, or (local mode, for its in-process agent)
 * generated once and kept in the data directory. Standalone without one accepts enrolled agents only.
 */
function agentSecretOf(config: ServerConfig, mode: 'local' | 'standalone'): string | undefined {
  if (config.agentSecret) return config.agentSecret;
  if (mode !== 'local') return undefined;
  const file = join(config.dataDir, 'agent-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = newSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Reads the configured certificate and key (PEM), naming the file that could not be read. */
function tlsFiles(config: ServerConfig): { cert: string; key: string } | undefined {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new RoostError(
        'ROOST_CONFIG',
        `cannot read the TLS ${what} ${file}: ${(error as Error).message}`,
      );
    }
  };
  return { cert: read(config.tlsCert, 'certificate'), key: read(config.tlsKey, 'key') };
}

/** The name the certificate is for, so the in-process agent can check it while dialling 127.0.0.1. */
function certificateName(cert: string): string | undefined {
  const x509 = new X509Certificate(cert);
  const dns = x509.subjectAltName?.match(/DNS:([^,\s]+)/)?.[1];
  if (dns || x509.subjectAltName?.includes('IP Address:127.0.0.1')) return dns;
  return x509.subject.match(/CN=([^\n]+)/)?.[1];
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config, mode } = options;
  const logger =
    options.logger ??
    createLogger({ level: config.logLevel, ...(config.logFormat ? { format: config.logFormat } : {}) });
  const log = (component: string) => logger.child({ component });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (mode === 'standalone' && !config.databaseUrl)
    throw new Error('standalone needs ROOST_DATABASE_URL (or --database-url)');
  const auth = authEnabled(mode, config);
  const tls = tlsFiles(config);
  const agentSecret = agentSecretOf(config, mode);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'component failed to stop');
      }
    }
  };
  try {
    const database = await openDatabase(
      config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(dataDir, 'db') },
    );
    stops.push(() => database.connection.close());
    log('repository').info({ driver: database.connection.driver }, 'database ready, migrations applied');
    const firstAdminToken = auth ? await bootstrapAdmin(database.repository, config.adminToken) : undefined;

    // one check of agent credentials for the broker and for agent routes of the API
    const verifyAgent = agentVerifier(database.repository, agentSecret);
    const broker = new Broker({
      logger: log('broker'),
      verifyAgent,
    });
    await broker.start();
    stops.push(() => broker.close());
    let mqttPort: number | undefined;
    if (config.mqttPort > 0) {
      try {
        mqttPort = await broker.listenTcp(config.mqttPort, config.mqttHost, tls);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE') throw error;
        log('broker').warn(
          `MQTT TCP port ${config.mqttPort} is already in use (another broker?): MQTT over TCP is off; agents connect over WebSocket at ${tls ? 'wss' : 'ws'}://HOST:${config.port}/mqtt`,
        );
      }
    }

    const storage = new LocalStorage(join(dataDir, 'storage'));

    const changes = new EventEmitter();
    changes.setMaxListeners(0);
    const { repository, connection } = database;
    const executor = new Executor({
      repository,
      connection,
      logger: log('executor'),
      host: renderHost(options.env ?? process.env, config.globals),
    });
    const bundleDir = resolve(config.agentBundleDir ?? join(PACKAGE_ROOT, 'dist'));
    const dispatcher = new Dispatcher({
      repository,
      connection,
      broker,
      logger: log('dispatcher'),
      executor: inlineLink(executor),
      leaseMs: config.leaseMs,
      ...(config.agentVersions
        ? {
            agentVersions: parseVersionRange(config.agentVersions, 'ROOST_AGENT_VERSIONS (--agent-versions)'),
          }
        : {}),
      offlineGraceMs: config.offlineGraceMs,
      agentBundle: bundleAdvertiser(bundleDir),
    });
    executor.on('committed', (committed) => {
      if (committed.jobs.length) dispatcher.jobsCreated(committed.jobs);
      if (committed.stopped.length) dispatcher.jobsStopped(committed.stopped);
      if (committed.changed) changes.emit(committed.executionId);
    });
    await executor.start();
    stops.push(() => executor.stop());
    await dispatcher.start();
    stops.push(() => dispatcher.stop());
    for (const [name, description] of [
      ['scheduler', 'no trigger types are evaluated yet'],
      ['indexer', 'logs are stored inline by the dispatcher'],
    ] as const) {
      const component = new PlaceholderComponent(name, log(name), description);
      await component.start();
      stops.push(() => component.stop());
    }

    const webserver = new Webserver(
      {
        repository,
        logger,
        storage,
        verifyAgent,
        startExecution: async (request) => {
          // created, decided and its first jobs leased in one transaction: no hop through the queue
          let after: (() => void) | undefined;
          let leased: ((committed: boolean) => void) | undefined;
          try {
            const { execution } = await createExecution(repository, request, async (tx, created) => {
              const start = { executionId: created.id, event: { type: 'start' as const } };
              const submitted = await executor.submitInline(tx, start, created);
              after = submitted.after;
              if (submitted.committed)
                leased = await dispatcher.leasing.leaseInline(tx, submitted.committed.jobs);
            });
            leased?.(true);
            after?.();
            return execution;
          } catch (error) {
            leased?.(false);
            if (error instanceof RoostError) throw error;
            // the first decision failed: create the execution alone and let the executor retry it
            log('executor').warn({ err: error }, 'first decision of a new execution failed; queued instead');
          }
          const { execution, messageId } = await createExecution(repository, request);
          if (messageId !== undefined) executor.handOver(messageId);
          return execution;
        },
        signalExecution: (id, event) => executor.send(id, event),
        resumeErrors: (id, inputs) => executor.resumeErrors(id, inputs),
        operations: new ExecutionOperations(repository, executor),
        watchExecution: (id, listener) => {
          changes.on(id, listener);
          return () => changes.off(id, listener);
        },
        mqttStream: (stream) => broker.handleStream(stream),
        install: {
          script: join(PACKAGE_ROOT, 'installers/install.sh'),
          powershell: join(PACKAGE_ROOT, 'installers/install.ps1'),
          bundleDir,
          runtimesDir: resolve(config.runtimesDir ?? join(dataDir, 'runtimes')),
        },
        setAgentMaintenance: (agentId, enabled) => dispatcher.setMaintenance(agentId, enabled),
      },
      { host: config.host, port: config.port, auth, tls },
    );
    const httpPort = await webserver.start();
    stops.push(() => webserver.stop());

    if (agentSecret && (options.localAgent ?? mode === 'local')) {
      const agent = new Agent({
        url: mqttPort
          ? `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${mqttPort}`
          : `${tls ? 'wss' : 'ws'}://127.0.0.1:${httpPort}/mqtt`,
        ...(tls ? { tls: { ca: tls.cert, servername: certificateName(tls.cert) } } : {}),
        agentId: 'local',
        secret: agentSecret,
        serverUrl: `http://127.0.0.1:${httpPort}`,
        name: 'local',
        labels: {},
        slots: 4,
        dataDir: join(dataDir, 'agent'),
      });
      await agent.start();
      stops.push(() => agent.stop());
    }
    return {
      httpPort,
      mqttPort,
      agentSecret,
      database,
      storage,
      auth,
      tls: Boolean(tls),
      firstAdminToken,
      routes: webserver.routes,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
