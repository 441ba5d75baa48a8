// `roost agent register`: trades a registration token for this host's own agent id and credential,
// and keeps them in {dataDir}/agent.json (mode 0600). An enrolled host is left alone unless --force.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ErrorCode, RoostError } from '../protocol/errors.ts';
import { parseLabels } from './config.ts';
import { identityPath, loadOrCreateIdentity, readEnrolment, writeIdentity } from './identity.ts';

export const AGENT_REGISTER_USAGE = `usage: roost agent register --url URL --token T [--labels k=v,...] [--name NAME] [--data-dir DIR] [--force]
  --url        the control plane's HTTP(S) address, e.g. https://roost.example.com  (ROOST_URL)
  --token      a registration token (roost agent token create)         (ROOST_REGISTRATION_TOKEN)
  --labels     labels to claim; the token decides which are allowed                 (ROOST_AGENT_LABELS)
  --name       display name (default: host name)                                    (ROOST_AGENT_NAME)
  --data-dir   where agent.json is written (default: ~/.roost-agent)                (ROOST_DATA_DIR)
  --force      enrol again (a new agent) even though this data directory is enrolled`;

interface RegistrationJson {
  agentId: string;
  name: string;
  credential: string;
  labels: Record<string, string>;
}

/**
 * The registration token: --token, else ROOST_REGISTRATION_TOKEN, else ROOST_TOKEN (its older name) when
 * it holds a registration token (rrt.…). The CLI reads ROOST_TOKEN as its API token: an admin who has one
 * set must get a clear error here, not a refusal of that token by the control plane.
 */
export function registrationToken(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const legacy = env.ROOST_TOKEN?.startsWith('rrt.') ? env.ROOST_TOKEN : undefined;
  const token = flag || env.ROOST_REGISTRATION_TOKEN || legacy;
  if (token) return token;
  const why = env.ROOST_TOKEN
    ? ': ROOST_TOKEN holds an API token for the CLI, not a registration token (rrt.…); pass --token or set ROOST_REGISTRATION_TOKEN'
    : '';
  throw new RoostError('ROOST_CONFIG', `--token is required${why}\n${AGENT_REGISTER_USAGE}`);
}

/** The broker URL of a control plane reached at `server`: MQTT over WebSocket on the same address. */
export function brokerUrlFor(server: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/mqtt`;
  url.search = '';
  return url.toString();
}

export async function registerCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        labels: { type: 'string' },
        name: { type: 'string' },
        'data-dir': { type: 'string' },
        force: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', `${(error as Error).message}\n${AGENT_REGISTER_USAGE}`);
  }
  const pick = (flag: string, variable: string) =>
    (values[flag] as string | undefined) ?? (env[variable] || undefined);
  const server = pick('url', 'ROOST_URL');
  if (!server) throw new RoostError('ROOST_CONFIG', `--url is required\n${AGENT_REGISTER_USAGE}`);
  const token = registrationToken(values.token as string | undefined, env);
  if (!/^https?:\/\//.test(server))
    throw new RoostError(
      'ROOST_CONFIG',
      `--url: "${server}" must be the control plane's http:// or https:// address`,
    );
  const dataDir = resolve(pick('data-dir', 'ROOST_DATA_DIR') ?? join(homedir(), '.roost-agent'));
  const existing = readEnrolment(dataDir);
  if (existing && !values.force) {
    out(`already enrolled as agent ${existing.agentId} (${existing.name}) with ${existing.server}`);
    out(`  ${identityPath(dataDir)}; pass --force to enrol this host again as a new agent`);
    return;
  }
  const labelsText = pick('labels', 'ROOST_AGENT_LABELS');
  const name = pick('name', 'ROOST_AGENT_NAME');
  const body = {
    token,
    ...(labelsText
      ? { labels: parseLabels(labelsText, values.labels ? '--labels' : 'ROOST_AGENT_LABELS') }
      : {}),
    ...(name ? { name } : {}),
  };
  let response: Response;
  const endpoint = new URL('api/v1/agents/register', server.endsWith('/') ? server : `${server}/`);
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new RoostError(
      'ROOST_CONFIG',
      `cannot reach the control plane at ${server}: ${(error as Error).cause ?? error}`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem = parsed as { code?: ErrorCode; message?: string } | undefined;
    throw new RoostError(
      problem?.code ?? 'ROOST_INTERNAL',
      `registration refused: ${problem?.message ?? `HTTP ${response.status}`}`,
    );
  }
  const registration = parsed as RegistrationJson;
  const previous = existing ? undefined : await loadOrCreateIdentity(dataDir);
  await writeIdentity(dataDir, {
    agentId: registration.agentId,
    createdAt: previous?.createdAt || new Date().toISOString(),
    enrolment: {
      server,
      url: brokerUrlFor(server),
      credential: registration.credential,
      name: registration.name,
      labels: registration.labels,
    },
  });
  const labels =
    Object.entries(registration.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'none';
  out(`enrolled as agent ${registration.agentId} (${registration.name}), labels ${labels}`);
  out(`  credentials in ${identityPath(dataDir)}; start it with: roost agent start --data-dir ${dataDir}`);
}
