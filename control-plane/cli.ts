// The `roost` command: `server` here; `flow` and `execution` in cli-flows.ts, `group`, `token` and
// `user` in cli-access.ts, `agent` in cli-agents.ts and the agent's own CLI.
import { RoostError } from '../protocol/index.ts';
import { groupCommand, tokenCommand, userCommand } from './cli-access.ts';
import { AGENT_ADMIN_COMMANDS, AGENT_ADMIN_USAGE, agentAdminCommand } from './cli-agents.ts';
import { executionCommand, flowCommand } from './cli-flows.ts';
import { type Out, parse } from './cli-support.ts';
import { resolveConfig, SETTINGS } from './config.ts';

const USAGE = `usage: roost <command>

  server local                 every component, embedded PGlite, broker and one agent (./.roost)
  server standalone            every component against ROOST_DATABASE_URL
  agent start --url URL        run an agent (see: roost agent help)
  agent status                 what a running agent holds (--health-port N, or --data-dir DIR)
${AGENT_ADMIN_USAGE}
  flow apply FILE...           store flows (a new revision when the source changed)
  flow validate FILE|DIR...    check flows locally; exit code 1 on any error
  execution run NS FLOW_ID [--input k=v]... [--label k=v]... [--wait]
  execution restart ID [--wait]                     re-run the failed tasks of a FAILED or KILLED execution
  execution replay ID [--task-run ID] [--wait]      a new execution, from that task run (or the start)
  execution labels ID k=v...                        set the labels of an ended execution
  group create KEY --selector k=v,... [--description TEXT] [--offline]
  group list | group delete KEY
  token create --role admin|operator|viewer [--name NAME] [--expires 30d|DATE]
  token list | token revoke ID|NAME
  user create NAME --role admin|operator|viewer [--password P | --password-stdin]
  user list | user delete NAME

API commands take --server URL (ROOST_SERVER, default http://localhost:8080) and --token (ROOST_TOKEN).`;

export async function main(argv: string[], out: Out = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  try {
    process.exitCode = await run(argv, out);
  } catch (error) {
    const roost = error instanceof RoostError ? error : RoostError.from(error);
    process.stderr.write(
      `roost: ${roost.message}${roost.code === 'ROOST_INTERNAL' ? '' : ` (${roost.code})`}\n`,
    );
    process.exitCode = 1;
  }
}

async function run(argv: string[], out: Out): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'server':
      return serverCommand(sub, rest, out);
    case 'agent': {
      // `agent maintenance on|off` asks the agent on this host; `agent maintenance ID on|off` the control plane
      const local = sub === 'maintenance' && (argv[2] === 'on' || argv[2] === 'off');
      if (sub !== undefined && AGENT_ADMIN_COMMANDS.has(sub) && !local)
        return agentAdminCommand(argv.slice(1), out);
      const { agentMain } = await import('../agent/index.ts');
      return (await agentMain(argv.slice(1))) ?? 0;
    }
    case 'flow':
      return flowCommand(sub, rest, out);
    case 'execution':
      return executionCommand(sub, rest, out);
    case 'group':
      return groupCommand(sub, rest, out);
    case 'token':
      return tokenCommand(sub, rest, out);
    case 'user':
      return userCommand(sub, rest, out);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return 0;
    default:
      throw new RoostError('ROOST_CONFIG', `unknown command '${command}'\n${USAGE}`);
  }
}

async function serverCommand(mode: string | undefined, args: string[], out: Out): Promise<number> {
  if (mode !== 'local' && mode !== 'standalone') {
    throw new RoostError(
      'ROOST_CONFIG',
      `'roost server ${mode ?? ''}' is not a server mode: use local or standalone`,
    );
  }
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }]));
  const { values } = parse(args, { ...options, config: { type: 'string' } });
  const config = resolveConfig(mode, values as Record<string, string | undefined>);
  // loaded here, not at the top: `roost agent ...` must not load the control plane (memory)
  const { startServer } = await import('./server.ts');
  const server = await startServer({ mode, config });
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const s = server.tls ? 's' : '';
  out(`Roost ${mode} is running.`);
  out(`  API:              http${s}://${shownHost}:${server.httpPort}`);
  out(`  MQTT over WS:     ws${s}://${shownHost}:${server.httpPort}/mqtt`);
  out(
    server.mqttPort
      ? `  MQTT over TCP:    mqtt${s}://${shownHost}:${server.mqttPort}`
      : '  MQTT over TCP:    off',
  );
  out(`  authentication:   ${server.auth ? 'on (API tokens and logins)' : 'OFF'}`);
  out(`  database:         ${config.databaseUrl ? 'Postgres' : `embedded PGlite in ${config.dataDir}/db`}`);
  if (mode === 'local') {
    out(`  agent secret:     in ${config.dataDir}/agent-secret (agents need ROOST_AGENT_SECRET set to it)`);
  }
  if (!server.auth) {
    out('');
    out('  !!! AUTHENTICATION IS OFF: anyone who can reach this port is an admin. !!!');
    out(`  !!! It listens on ${config.host} only. For anything but a first look, set an admin token:`);
    out('  !!!   roost server local --admin-token $(openssl rand -hex 32)   (or ROOST_ADMIN_TOKEN)');
    out('');
  }
  if (server.firstAdminToken) {
    out('');
    out(`  First admin API token (shown this once; store it now): ${server.firstAdminToken}`);
    out('  Use it with ROOST_TOKEN=... or --token; create more with roost token create.');
    out('');
  }
  out('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) {
        out('Forced stop.');
        process.exit(130);
      }
      stopping = true;
      out('Stopping (Ctrl-C again to force)...');
      void server.stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  out('Stopped.');
  return 0;
}
