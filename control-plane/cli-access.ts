// `roost group`, `roost token` and `roost user`: worker groups, API tokens and users, through the API.
import { RoostError } from '../protocol/index.ts';
import { apiOptions, client, type Out, pairs, parse } from './cli-support.ts';

interface GroupJson {
  key: string;
  selector: Record<string, string>;
  description: string | null;
  offline: boolean;
}

export async function groupCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
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

export async function tokenCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
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

export async function userCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
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
