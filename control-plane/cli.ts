// The `roost` command: `server`, `flow`, `execution` here; `agent` is the agent's own CLI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RoostError } from '../protocol/index.ts';
import { AGENT_ADMIN_COMMANDS, AGENT_ADMIN_USAGE, agentAdminCommand } from './cli-agents.ts';
import { ApiClient } from './client.ts';
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

type Out = (line: string) => void;

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

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', (error as Error).message);
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

const apiOptions = {
  server: { type: 'string' as const },
  token: { type: 'string' as const },
  output: { type: 'string' as const },
};

function client(values: { server?: unknown; token?: unknown }): ApiClient {
  const server = (values.server as string | undefined) ?? process.env.ROOST_SERVER ?? 'http://localhost:8080';
  return new ApiClient({ server, token: (values.token as string | undefined) ?? process.env.ROOST_TOKEN });
}

/** Flow files named directly, or every .yml/.yaml file inside named directories. */
function flowFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (/\.ya?ml$/.test(name)) files.push(join(path, name));
    } else files.push(path);
  }
  return files;
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
  }
}

async function flowCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, apiOptions);
  if (!positionals.length)
    throw new RoostError('ROOST_CONFIG', `roost flow ${sub ?? ''}: name at least one file`);
  if (sub === 'validate') {
    const { validateFlowSource } = await import('../protocol/flow/index.ts');
    let failed = 0;
    for (const file of flowFiles(positionals)) {
      const { flow, errors } = validateFlowSource(readSource(file));
      if (flow) out(`${file}: ok (${flow.namespace}.${flow.id})`);
      for (const issue of errors) out(`${file}:${issue.line ?? 1}:${issue.column ?? 1}: ${issue.message}`);
      if (errors.length) failed++;
    }
    return failed ? 1 : 0;
  }
  if (sub === 'apply') {
    const api = client(values);
    for (const file of flowFiles(positionals)) {
      const flow = await api.request<{ namespace: string; id: string; revision: number }>(
        'POST',
        '/api/v1/flows',
        {
          type: 'application/x-yaml',
          data: readSource(file),
        },
      );
      out(`${file}: ${flow.namespace}.${flow.id} revision ${flow.revision}`);
    }
    return 0;
  }
  throw new RoostError('ROOST_CONFIG', `unknown command 'roost flow ${sub ?? ''}': use apply or validate`);
}

function pairs(items: string[] | undefined, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new RoostError('ROOST_CONFIG', `${what} '${item}' must be written key=value`);
    result[item.slice(0, at)] = item.slice(at + 1);
  }
  return result;
}

interface ExecutionJson {
  id: string;
  state: { current: string };
  taskRunList: { id: string; taskId: string; state: { current: string } }[];
  outputs?: unknown;
}

async function executionCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  if (sub === 'restart' || sub === 'replay' || sub === 'labels') return executionOperation(sub, args, out);
  if (sub !== 'run')
    throw new RoostError(
      'ROOST_CONFIG',
      `unknown command 'roost execution ${sub ?? ''}': use run, restart, replay or labels`,
    );
  const { values, positionals } = parse(args, {
    ...apiOptions,
    input: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    wait: { type: 'boolean' },
  });
  const [namespace, flowId] = positionals;
  if (!namespace || !flowId)
    throw new RoostError('ROOST_CONFIG', 'usage: roost execution run NAMESPACE FLOW_ID');
  const api = client(values);
  const labels = Object.entries(pairs(values.label as string[] | undefined, 'label'))
    .map(([k, v]) => `labels=${encodeURIComponent(`${k}:${v}`)}`)
    .join('&');
  const execution = await api.request<ExecutionJson>(
    'POST',
    `/api/v1/executions/${encodeURIComponent(namespace)}/${encodeURIComponent(flowId)}${labels ? `?${labels}` : ''}`,
    { type: 'application/json', data: JSON.stringify(pairs(values.input as string[] | undefined, 'input')) },
  );
  out(`execution ${execution.id} created`);
  if (!values.wait) return 0;
  return followToEnd(api, execution, out);
}

/** Follows the execution, printing each task run's state as it changes; exit code 1 unless it succeeded. */
async function followToEnd(api: ApiClient, execution: ExecutionJson, out: Out): Promise<number> {
  let last = execution;
  const seen = new Map<string, string>();
  await api.follow(`/api/v1/executions/${execution.id}/follow`, (data) => {
    last = data as ExecutionJson;
    for (const run of last.taskRunList) {
      if (seen.get(run.id) !== run.state.current) {
        seen.set(run.id, run.state.current);
        out(`  ${run.taskId}: ${run.state.current}`);
      }
    }
  });
  out(`execution ${last.id} ended ${last.state.current}`);
  if (last.outputs !== undefined) out(`outputs: ${JSON.stringify(last.outputs)}`);
  return last.state.current === 'SUCCESS' || last.state.current === 'WARNING' ? 0 : 1;
}

/** `roost execution restart|replay|labels ID ...`: Kestra's operations on an existing execution. */
async function executionOperation(
  sub: 'restart' | 'replay' | 'labels',
  args: string[],
  out: Out,
): Promise<number> {
  const { values, positionals } = parse(args, {
    ...apiOptions,
    'task-run': { type: 'string' },
    wait: { type: 'boolean' },
  });
  const [id, ...rest] = positionals;
  if (!id) throw new RoostError('ROOST_CONFIG', `usage: roost execution ${sub} EXECUTION_ID`);
  const api = client(values);
  const path = `/api/v1/executions/${encodeURIComponent(id)}`;
  if (sub === 'labels') {
    const labels = Object.entries(pairs(rest, 'label')).map(([key, value]) => ({ key, value }));
    await api.request('POST', `${path}/labels`, { type: 'application/json', data: JSON.stringify(labels) });
    out(`execution ${id} labels set`);
    return 0;
  }
  const taskRun = values['task-run'] as string | undefined;
  const execution =
    sub === 'restart'
      ? await api.request<ExecutionJson>('POST', `${path}/restart`)
      : await api.request<ExecutionJson>(
          'POST',
          `${path}/replay${taskRun ? `?taskRunId=${encodeURIComponent(taskRun)}` : ''}`,
        );
  out(sub === 'restart' ? `execution ${id} restarted` : `execution ${execution.id} created, replaying ${id}`);
  return values.wait ? followToEnd(api, execution, out) : 0;
}

interface GroupJson {
  key: string;
  selector: Record<string, string>;
  description: string | null;
  offline: boolean;
}

async function groupCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, {
    ...apiOptions,
    selector: { type: 'string' },
    description: { type: 'string' },
    offline: { type: 'boolean' },
  });
  const api = client(values);
  const [key] = positionals;
  if (sub === 'list') {
    for (const g of await api.request<GroupJson[]>('GET', '/api/v1/worker-groups')) {
      const selector = Object.entries(g.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const offline = g.offline ? '\toffline' : '';
      out(`${g.key}\t${selector}${offline}${g.description ? `\t${g.description}` : ''}`);
    }
    return 0;
  }
  if (!key) throw new RoostError('ROOST_CONFIG', `usage: roost group ${sub ?? 'create|delete'} KEY`);
  if (sub === 'create') {
    if (!values.selector)
      throw new RoostError('ROOST_CONFIG', '--selector is required, e.g. --selector region=eu,gpu=true');
    const selector = pairs(String(values.selector).split(',').filter(Boolean), 'selector label');
    const group = await api.request<GroupJson>('POST', '/api/v1/worker-groups', {
      type: 'application/json',
      data: JSON.stringify({
        key,
        selector,
        description: values.description ?? null,
        offline: values.offline === true,
      }),
    });
    out(`worker group ${group.key} saved`);
    return 0;
  }
  if (sub === 'delete') {
    await api.request('DELETE', `/api/v1/worker-groups/${encodeURIComponent(key)}`);
    out(`worker group ${key} deleted`);
    return 0;
  }
  throw new RoostError(
    'ROOST_CONFIG',
    `unknown command 'roost group ${sub ?? ''}': use create, list or delete`,
  );
}

interface TokenJson {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  token?: string;
}

async function tokenCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, {
    ...apiOptions,
    role: { type: 'string' },
    name: { type: 'string' },
    expires: { type: 'string' },
  });
  const api = client(values);
  const json = values.output === 'json';
  if (sub === 'create') {
    if (!values.role) throw new RoostError('ROOST_CONFIG', '--role is required: admin, operator or viewer');
    const created = await api.request<TokenJson>('POST', '/api/v1/tokens', {
      type: 'application/json',
      data: JSON.stringify({
        role: values.role,
        ...(values.name ? { name: values.name } : {}),
        ...(values.expires ? { expiresAt: values.expires } : {}),
      }),
    });
    if (json) out(JSON.stringify(created));
    else {
      out(`token ${created.name} (${created.role}) created; it is shown this once:`);
      out(String(created.token));
    }
    return 0;
  }
  if (sub === 'list') {
    const tokens = await api.request<TokenJson[]>('GET', '/api/v1/tokens');
    if (json) out(JSON.stringify(tokens));
    for (const t of json ? [] : tokens) {
      out(
        `${t.id}\t${t.name}\t${t.role}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}\texpires ${t.expiresAt ?? 'never'}`,
      );
    }
    return 0;
  }
  if (sub === 'revoke') {
    const [id] = positionals;
    if (!id) throw new RoostError('ROOST_CONFIG', 'usage: roost token revoke ID|NAME');
    await api.request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    out(`token ${id} revoked`);
    return 0;
  }
  throw new RoostError(
    'ROOST_CONFIG',
    `unknown command 'roost token ${sub ?? ''}': use create, list or revoke`,
  );
}

/** The first line of standard input (piped), or typed at a prompt that does not echo it. */
async function readPassword(): Promise<string> {
  const { createInterface } = await import('node:readline');
  const { Writable } = await import('node:stream');
  const tty = process.stdin.isTTY;
  if (tty) process.stderr.write('Password: ');
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = createInterface({ input: process.stdin, output: silent, terminal: Boolean(tty) });
  try {
    for await (const line of lines) return line;
  } finally {
    lines.close();
    if (tty) process.stderr.write('\n');
  }
  throw new RoostError('ROOST_CONFIG', 'no password on standard input');
}

async function userCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, {
    ...apiOptions,
    role: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  });
  const api = client(values);
  const [name] = positionals;
  if (sub === 'list') {
    for (const u of await api.request<{ name: string; role: string; createdAt: string }[]>(
      'GET',
      '/api/v1/users',
    ))
      out(`${u.name}\t${u.role}\tcreated ${u.createdAt}`);
    return 0;
  }
  if (!name) throw new RoostError('ROOST_CONFIG', `usage: roost user ${sub ?? 'create|delete'} NAME`);
  if (sub === 'create') {
    if (!values.role) throw new RoostError('ROOST_CONFIG', '--role is required: admin, operator or viewer');
    const password = (values.password as string | undefined) ?? (await readPassword());
    const user = await api.request<{ name: string; role: string }>('POST', '/api/v1/users', {
      type: 'application/json',
      data: JSON.stringify({ name, role: values.role, password }),
    });
    out(`user ${user.name} (${user.role}) created`);
    return 0;
  }
  if (sub === 'delete') {
    await api.request('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
    out(`user ${name} deleted`);
    return 0;
  }
  throw new RoostError(
    'ROOST_CONFIG',
    `unknown command 'roost user ${sub ?? ''}': use create, list or delete`,
  );
}
