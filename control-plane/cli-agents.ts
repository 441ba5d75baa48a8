// `roost agent token ...` and `roost agent list|label|maintenance|revoke|rotate`: managing enrolment
// and enrolled agents through the REST API (these need an admin API token once API auth is on).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RoostError } from '../protocol/index.ts';
import { client, type Out } from './cli-support.ts';

/** The `roost agent` subcommands served here; the others belong to the agent itself. */
export const AGENT_ADMIN_COMMANDS = new Set(['token', 'list', 'label', 'maintenance', 'revoke', 'rotate']);

export const AGENT_ADMIN_USAGE = `  agent token create [--labels k=v,...] [--groups G,...] [--expires 24h] [--max-uses N]
                     [--description TEXT] [--allow-extra-labels] [--output json]
  agent token list | agent token revoke TOKEN_ID
  agent register --url URL --token T [--labels k=v,...] [--name NAME] [--force]
  agent list | agent label ID k=v,... | agent maintenance ID on|off
  agent revoke ID | agent rotate ID      (rotate: a new credential over the live connection)`;

const apiOptions = { server: { type: 'string' as const }, token: { type: 'string' as const } };

function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args,
      options: { ...apiOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', `${(error as Error).message}\nusage:\n${AGENT_ADMIN_USAGE}`);
  }
}

const json = (data: unknown) => ({ type: 'application/json', data: JSON.stringify(data) });

function labelPairs(text: string, source: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new RoostError('ROOST_CONFIG', `${source}: "${pair}" is not of the form key=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

const showLabels = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '-';

interface TokenJson {
  id: string;
  token?: string;
  description: string | null;
  labels: Record<string, string>;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  state: string;
}

interface AgentJson {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
  maintenance: boolean;
  enrolled: boolean;
  revokedAt: string | null;
}

export async function agentAdminCommand(args: string[], out: Out): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'token') return tokenCommand(rest, out);
  const { values, positionals } = parse(rest, {});
  const api = client(values);
  const [id, value] = positionals;
  if (command === 'list') {
    for (const a of await api.request<AgentJson[]>('GET', '/api/v1/agents')) {
      const state = a.revokedAt ? 'revoked' : `${a.state}${a.maintenance ? ',maintenance' : ''}`;
      out(`${a.id}\t${a.name}\t${state}\t${showLabels(a.labels)}${a.enrolled ? '' : '\t(shared secret)'}`);
    }
    return 0;
  }
  if (!id)
    throw new RoostError(
      'ROOST_CONFIG',
      `usage: roost agent ${command} AGENT_ID${command === 'label' ? ' k=v,...' : command === 'maintenance' ? ' on|off' : ''}`,
    );
  const path = `/api/v1/agents/${encodeURIComponent(id)}`;
  switch (command) {
    case 'label': {
      if (value === undefined)
        throw new RoostError(
          'ROOST_CONFIG',
          'usage: roost agent label AGENT_ID k=v,... (replaces every label)',
        );
      const agent = await api.request<AgentJson>(
        'PATCH',
        path,
        json({ labels: labelPairs(value, 'labels') }),
      );
      out(`agent ${agent.id} labels ${showLabels(agent.labels)}`);
      return 0;
    }
    case 'maintenance': {
      if (value !== 'on' && value !== 'off')
        throw new RoostError('ROOST_CONFIG', 'usage: roost agent maintenance AGENT_ID on|off');
      await api.request('PATCH', path, json({ maintenance: value === 'on' }));
      out(`agent ${id} maintenance ${value}`);
      return 0;
    }
    case 'revoke':
      await api.request('POST', `${path}/revoke`);
      out(`agent ${id} revoked: disconnected, and refused from now on`);
      return 0;
    case 'rotate':
      await api.request('POST', `${path}/rotate-credential`);
      out(`agent ${id}: a new credential was sent; the old one stops working once the agent has stored it`);
      return 0;
  }
  throw new RoostError(
    'ROOST_CONFIG',
    `unknown command 'roost agent ${command}'\nusage:\n${AGENT_ADMIN_USAGE}`,
  );
}

async function tokenCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    labels: { type: 'string' },
    groups: { type: 'string' },
    expires: { type: 'string' },
    'max-uses': { type: 'string' },
    description: { type: 'string' },
    'allow-extra-labels': { type: 'boolean' },
    output: { type: 'string' },
  });
  const api = client(values);
  const asJson = values.output === 'json';
  if (values.output !== undefined && !asJson)
    throw new RoostError('ROOST_CONFIG', `--output: "${values.output}" is not supported (use json)`);
  if (sub === 'create') {
    const maxUses = values['max-uses'] as string | undefined;
    if (maxUses !== undefined && !/^\d+$/.test(maxUses))
      throw new RoostError('ROOST_CONFIG', `--max-uses: "${maxUses}" is not a whole number`);
    const token = await api.request<TokenJson>(
      'POST',
      '/api/v1/agent-tokens',
      json({
        labels: values.labels ? labelPairs(values.labels as string, '--labels') : {},
        groups: values.groups
          ? (values.groups as string)
              .split(',')
              .map((g) => g.trim())
              .filter(Boolean)
          : [],
        ...(values.expires ? { expires: values.expires } : {}),
        ...(maxUses !== undefined ? { maxUses: Number(maxUses) } : {}),
        ...(values.description ? { description: values.description } : {}),
        ...(values['allow-extra-labels'] ? { allowExtraLabels: true } : {}),
      }),
    );
    if (asJson) {
      out(JSON.stringify(token));
      return 0;
    }
    out(
      `registration token ${token.id} (labels ${showLabels(token.labels)}, expires ${token.expiresAt ?? 'never'}, max uses ${token.maxUses ?? 'unlimited'})`,
    );
    out(`  ${token.token}`);
    out('  shown once: keep it secret. Enrol a host with');
    out(
      `  roost agent register --url ${(values.server as string | undefined) ?? process.env.ROOST_SERVER ?? 'http://localhost:8080'} --token ${token.token}`,
    );
    return 0;
  }
  if (sub === 'list') {
    const tokens = await api.request<TokenJson[]>('GET', '/api/v1/agent-tokens');
    if (asJson) out(JSON.stringify(tokens));
    else
      for (const t of tokens)
        out(
          `${t.id}\t${t.state}\tuses ${t.uses}/${t.maxUses ?? '∞'}\texpires ${t.expiresAt ?? 'never'}\t${showLabels(t.labels)}\t${t.description ?? ''}`,
        );
    return 0;
  }
  if (sub === 'revoke') {
    const [id] = positionals;
    if (!id) throw new RoostError('ROOST_CONFIG', 'usage: roost agent token revoke TOKEN_ID');
    await api.request('DELETE', `/api/v1/agent-tokens/${encodeURIComponent(id)}`);
    out(`registration token ${id} revoked`);
    return 0;
  }
  throw new RoostError(
    'ROOST_CONFIG',
    `unknown command 'roost agent token ${sub ?? ''}': use create, list or revoke`,
  );
}
