// Wires the control plane's components in one process, starts them in order and stops them in reverse.
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from '../agent/index.ts';
import { newSecret } from '../protocol/index.ts';
import { PlaceholderComponent } from './components.ts';
import type { ServerConfig } from './config.ts';
import { Broker, Dispatcher, secretMatches } from './dispatcher/index.ts';
import { createExecution, Executor, inlineLink } from './executor/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { type Database, openDatabase } from './repository/index.ts';
import { LocalStorage, type Storage } from './storage/index.ts';
import { Webserver } from './webserver/index.ts';

export interface RunningServer {
  readonly httpPort: number;
  /** the MQTT TCP port, or undefined when TCP is off or its port was taken */
  readonly mqttPort: number | undefined;
  readonly agentSecret: string;
  readonly database: Database;
  readonly storage: Storage;
  stop(): Promise<void>;
}

export interface ServerOptions {
  mode: 'local' | 'standalone';
  config: ServerConfig;
  logger?: Logger;
  /** run the in-process agent (default: true for local) */
  localAgent?: boolean;
}

/** The shared secret agents present: configured, or generated once and kept in the data directory. */
function agentSecretOf(config: ServerConfig, mode: 'local' | 'standalone'): string {
  if (config.agentSecret) return config.agentSecret;
  if (mode !== 'local') {
    throw new Error('set ROOST_AGENT_SECRET (or --agent-secret): agents must present it to connect');
  }
  const file = join(config.dataDir, 'agent-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = newSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
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

    // one check of an agent's credential, for the broker and for file transfers
    const verifyAgent = (_id: string, password: Buffer) => secretMatches(agentSecret, password);
    const broker = new Broker({ logger: log('broker'), verifyAgent });
    await broker.start();
    stops.push(() => broker.close());
    let mqttPort: number | undefined;
    if (config.mqttPort > 0) {
      try {
        mqttPort = await broker.listenTcp(config.mqttPort, config.mqttHost);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE') throw error;
        log('broker').warn(
          `MQTT TCP port ${config.mqttPort} is already in use (another broker?): MQTT over TCP is off; agents connect over WebSocket at ws://HOST:${config.port}/mqtt`,
        );
      }
    }

    const storage = new LocalStorage(join(dataDir, 'storage'));

    const changes = new EventEmitter();
    changes.setMaxListeners(0);
    const { repository, connection } = database;
    const executor = new Executor({ repository, connection, logger: log('executor') });
    const dispatcher = new Dispatcher({
      repository,
      connection,
      broker,
      logger: log('dispatcher'),
      executor: inlineLink(executor),
      leaseMs: config.leaseMs,
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
          const { execution, messageId } = await createExecution(repository, request);
          executor.handOver(messageId);
          return execution;
        },
        signalExecution: (id, event) => executor.send(id, event),
        resumeErrors: (id, inputs) => executor.resumeErrors(id, inputs),
        watchExecution: (id, listener) => {
          changes.on(id, listener);
          return () => changes.off(id, listener);
        },
        mqttStream: (stream) => broker.handleStream(stream),
      },
      { host: config.host, port: config.port },
    );
    const httpPort = await webserver.start();
    stops.push(() => webserver.stop());

    if (options.localAgent ?? mode === 'local') {
      const agent = new Agent({
        url: mqttPort ? `mqtt://127.0.0.1:${mqttPort}` : `ws://127.0.0.1:${httpPort}/mqtt`,
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
    return { httpPort, mqttPort, agentSecret, database, storage, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
