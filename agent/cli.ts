// `roost agent ...`: reads the configuration, starts the agent, drains on SIGTERM/SIGINT and forces on a second signal.
import type { EventEmitter } from 'node:events';
import { RoostError } from '../protocol/errors.ts';
import { Agent } from './agent.ts';
import { AGENT_START_USAGE, resolveAgentConfig } from './config.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { createConsoleLogger, type Logger } from './logger.ts';

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
  if (command !== 'start') {
    throw new RoostError('ROOST_CONFIG', `unknown command "roost agent ${command}"\n${AGENT_START_USAGE}`);
  }
  const env = io.env ?? process.env;
  const config = resolveAgentConfig(rest, env);
  const agentId = config.agentId ?? (await loadOrCreateIdentity(config.dataDir)).agentId;
  const logger = io.logger ?? createConsoleLogger(`agent ${agentId}`);
  const agent = new Agent({ ...config, agentId, logger, env });
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
  try {
    await agent.start();
    io.onStarted?.(agent);
    await agent.whenStopped();
  } finally {
    for (const signal of SIGNALS) signals.off(signal, onSignal);
  }
}
