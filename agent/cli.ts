// `roost agent ...`: reads the configuration, starts the agent, drains on SIGTERM/SIGINT and forces on a second signal.
import type { EventEmitter } from 'node:events';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RoostError } from '../protocol/errors.ts';
import { Agent } from './agent.ts';
import { openLibsqlBuffer } from './buffer/index.ts';
import { AGENT_START_USAGE, parseHealthPort, resolveAgentConfig } from './config.ts';
import { type HealthServer, startHealthServer } from './health.ts';
import { loadOrCreateIdentity, storeCredential } from './identity.ts';
import { createConsoleLogger, type Logger } from './logger.ts';
import { registerCommand } from './register.ts';
import type { AgentStatus } from './status.ts';
import { upgradeCommand } from './upgrade.ts';

export interface AgentMainIo {
  env?: NodeJS.ProcessEnv;
  /** where the banner goes (stdout by default) */
  out?: (line: string) => void;
  /** the source of SIGTERM and SIGINT (the process by default) */
  signals?: EventEmitter;
  logger?: Logger;
  /** called once the agent has started (tests, embedding) */
  onStarted?: (agent: Agent) => void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Runs `roost agent <command>`; resolves when the agent has stopped. */
export async function agentMain(argv: string[], io: AgentMainIo = {}): Promise<void> {
  const args = argv[0] === 'agent' ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out(AGENT_START_USAGE);
    return;
  }
  if (command === 'status') {
    await statusCommand(rest, io.env ?? process.env, out);
    return;
  }
  if (command === 'upgrade') {
    await upgradeCommand(rest, io.env ?? process.env, out);
    return;
  }
  if (command === 'register') {
    await registerCommand(rest, io.env ?? process.env, out);
    return;
  }
  if (command === 'maintenance') {
    await maintenanceCommand(rest, io.env ?? process.env, out);
    return;
  }
  if (command !== 'start') {
    throw new RoostError('ROOST_CONFIG', `unknown command "roost agent ${command}"\n${AGENT_START_USAGE}`);
  }
  const env = io.env ?? process.env;
  const config = resolveAgentConfig(rest, env);
  const agentId = config.agentId ?? (await loadOrCreateIdentity(config.dataDir)).agentId;
  const logger = io.logger ?? createConsoleLogger(`agent ${agentId}`);
  const agent = new Agent({
    ...config,
    agentId,
    logger,
    env,
    ...(config.enrolled ? { storeCredential: (c: string) => storeCredential(config.dataDir, c) } : {}),
  });
  const labels =
    Object.entries(config.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'none';
  out(`roost agent ${agentId} (${config.name}) connecting to ${config.url.replace(/\/\/[^@/]*@/, '//***@')}`);
  out(`  slots ${config.slots}, labels ${labels}, data ${config.dataDir}`);

  const signals = io.signals ?? process;
  let received = 0;
  const onSignal = (signal: string) => {
    received++;
    if (received === 1) {
      logger.info(`${signal}: draining (send it again to stop at once)`);
      void agent.stop();
    } else {
      logger.warn(`${signal}: stopping now, killing running jobs`);
      void agent.stop({ force: true });
    }
  };
  for (const signal of SIGNALS) signals.on(signal, onSignal);
  let health: HealthServer | undefined;
  try {
    await agent.start();
    if (config.healthPort !== undefined) {
      health = await startHealthServer(
        () => agent.status(),
        config.healthPort,
        (enabled) => agent.setMaintenance(enabled),
      );
      out(`  health on http://127.0.0.1:${health.port}/health`);
    }
    io.onStarted?.(agent);
    await agent.whenStopped();
  } finally {
    for (const signal of SIGNALS) signals.off(signal, onSignal);
    await health?.close();
  }
}

/**
 * `roost agent status`: asks the running agent on its health port when one is given; otherwise reads
 * what its buffer holds (SQLite lets a reader in beside the running agent).
 */
async function statusCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { 'health-port': { type: 'string' }, 'data-dir': { type: 'string' } },
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new RoostError(
      'ROOST_CONFIG',
      `${(error as Error).message}\nusage: roost agent status [--health-port N] [--data-dir DIR]`,
    );
  }
  const given = values['health-port'];
  const port = parseHealthPort(
    given !== undefined
      ? { value: given, source: '--health-port' }
      : { value: env.ROOST_AGENT_HEALTH_PORT, source: 'ROOST_AGENT_HEALTH_PORT' },
  );
  if (port !== undefined) {
    let status: AgentStatus;
    try {
      status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as AgentStatus;
    } catch (error) {
      throw new RoostError(
        'ROOST_CONFIG',
        `no agent answers on 127.0.0.1:${port}: ${(error as Error).cause ?? error}`,
      );
    }
    out(
      `state ${status.state}, ${status.connected ? 'connected' : 'not connected'} to the control plane${status.since ? ` since ${status.since}` : ''}${status.maintenance ? ', in maintenance (takes no new job)' : ''}`,
    );
    out(
      `slots in use ${status.slotsInUse} of ${status.slots}; jobs held ${status.inbox}; outbox ${status.outbox} (results and log chunks not yet acknowledged)`,
    );
    return;
  }
  const dataDir = resolve(values['data-dir'] ?? env.ROOST_DATA_DIR ?? join(homedir(), '.roost-agent'));
  const buffer = await openLibsqlBuffer(dataDir);
  try {
    out(`no health port given (--health-port): the buffer in ${dataDir} says`);
    out(`jobs held ${(await buffer.heldJobs()).length}; outbox ${await buffer.outboxSize()}`);
  } finally {
    await buffer.close();
  }
}

/** `roost agent maintenance on|off`: asks the running agent on its health port. */
async function maintenanceCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<void> {
  const usage = 'usage: roost agent maintenance on|off [--health-port N]';
  let parsed: { values: Record<string, string | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { 'health-port': { type: 'string' } },
    }) as typeof parsed;
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', `${(error as Error).message}\n${usage}`);
  }
  const [mode] = parsed.positionals;
  if ((mode !== 'on' && mode !== 'off') || parsed.positionals.length !== 1) {
    throw new RoostError('ROOST_CONFIG', `say on or off\n${usage}`);
  }
  const given = parsed.values['health-port'];
  const port = parseHealthPort(
    given !== undefined
      ? { value: given, source: '--health-port' }
      : { value: env.ROOST_AGENT_HEALTH_PORT, source: 'ROOST_AGENT_HEALTH_PORT' },
  );
  if (port === undefined) {
    throw new RoostError('ROOST_CONFIG', `the agent's health port is needed (--health-port)\n${usage}`);
  }
  try {
    const response = await fetch(`http://127.0.0.1:${port}/maintenance?enabled=${mode === 'on'}`, {
      method: 'POST',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new RoostError(
      'ROOST_CONFIG',
      `no agent answers on 127.0.0.1:${port}: ${(error as Error).cause ?? error}`,
    );
  }
  out(`maintenance mode ${mode}: the agent ${mode === 'on' ? 'takes no new job' : 'takes jobs again'}`);
}
