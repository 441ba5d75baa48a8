// API tokens (create, list without secrets, last use, expiry, revoke), the first admin, users with a
// UI login (session cookie) and logout, and the CLI commands for tokens and users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../../control-plane/webserver/auth/credentials.ts';
import { bootstrapAdmin } from '../../control-plane/webserver/index.ts';
import { newId } from '../../protocol/index.ts';
import { call } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';
import { Processes } from '../support/processes.ts';

type Problem = { code: string; message: string };
type TokenJson = {
  id: string;
  name: string;
  role: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  token?: string;
};

async function login(api: string, username: string, password: string) {
  const response = await fetch(`${api}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { message?: string; username?: string; role?: string },
    cookie: response.headers.get('set-cookie'),
  };
}

describe('API tokens, users and logins', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  const processes = new Processes();

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
  }, 60_000);

  afterAll(async () => {
    expect(await processes.stopAll()).toEqual([]);
    await plane?.stop();
    await db?.drop();
  });

  it('creates a token whose secret is shown once, lists tokens without secrets, and records their last use', async () => {
    const created = await call<TokenJson>(plane.api, 'POST', '/api/v1/tokens', {
      name: 'ci-reader',
      role: 'viewer',
      expiresAt: '30d',
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^roost_/);
    expect(Date.parse(created.body.expiresAt!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const before = await call<TokenJson[]>(plane.api, 'GET', '/api/v1/tokens');
    const listed = before.body.find((t) => t.name === 'ci-reader')!;
    expect(listed.lastUsedAt).toBeNull();
    expect(JSON.stringify(before.body)).not.toContain(created.body.token!);
    expect(JSON.stringify(before.body)).not.toContain(secretHash(created.body.token!));

    const used = await call(
      plane.api,
      'GET',
      '/api/v1/flows/search',
      undefined,
      undefined,
      created.body.token,
    );
    expect(used.status).toBe(200);
    const after = await call<TokenJson[]>(plane.api, 'GET', '/api/v1/tokens');
    expect(after.body.find((t) => t.name === 'ci-reader')?.lastUsedAt).not.toBeNull();

    const me = await call<{ name: string; role: string }>(
      plane.api,
      'GET',
      '/api/v1/me',
      undefined,
      undefined,
      created.body.token,
    );
    expect(me.body).toMatchObject({ name: 'ci-reader', role: 'viewer' });
  });

  it('refuses a bad role, a past expiry and a taken name, naming the field', async () => {
    const badRole = await call<Problem>(plane.api, 'POST', '/api/v1/tokens', { role: 'root' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.message).toContain('role must be one of viewer, operator, admin');
    const past = await call<Problem>(plane.api, 'POST', '/api/v1/tokens', {
      role: 'viewer',
      expiresAt: '2001-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
    expect(past.body.message).toContain('not in the future');
    await call(plane.api, 'POST', '/api/v1/tokens', { role: 'viewer', name: 'twice' });
    const taken = await call<Problem>(plane.api, 'POST', '/api/v1/tokens', { role: 'viewer', name: 'twice' });
    expect(taken.status).toBe(409);
  });

  it('refuses an expired token and a revoked one', async () => {
    const token = 'roost_expired-token-for-the-test';
    await plane.server.database.repository.access.createToken({
      id: newId(),
      name: 'expired',
      role: 'admin',
      tokenHash: secretHash(token),
      expiresAt: new Date(Date.now() - 1_000),
    });
    const expired = await call<Problem>(
      plane.api,
      'GET',
      '/api/v1/flows/search',
      undefined,
      undefined,
      token,
    );
    expect(expired.status).toBe(401);
    expect(expired.body.message).toContain('unknown, revoked or expired');

    const created = await call<TokenJson>(plane.api, 'POST', '/api/v1/tokens', {
      name: 'short-lived',
      role: 'admin',
    });
    const secret = created.body.token!;
    expect((await call(plane.api, 'GET', '/api/v1/tokens', undefined, undefined, secret)).status).toBe(200);
    expect((await call(plane.api, 'DELETE', '/api/v1/tokens/short-lived')).status).toBe(204);
    expect((await call(plane.api, 'GET', '/api/v1/tokens', undefined, undefined, secret)).status).toBe(401);
    expect((await call(plane.api, 'DELETE', '/api/v1/tokens/short-lived')).status).toBe(404);
  });

  it('logs a user in with an HttpOnly SameSite cookie, enforces the role, and logs out', async () => {
    const created = await call(plane.api, 'POST', '/api/v1/users', {
      name: 'olga',
      role: 'operator',
      password: 'correct horse battery',
    });
    expect(created.status).toBe(201);
    const short = await call<Problem>(plane.api, 'POST', '/api/v1/users', {
      name: 'x',
      role: 'viewer',
      password: 'a',
    });
    expect(short.status).toBe(400);
    expect(short.body.message).toContain('password must be at least 8');

    const wrong = await login(plane.api, 'olga', 'wrong horse');
    expect(wrong.status).toBe(401);
    expect(wrong.cookie).toBeNull();
    expect((await login(plane.api, 'nobody', 'correct horse battery')).body.message).toBe(wrong.body.message);

    const ok = await login(plane.api, 'olga', 'correct horse battery');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ username: 'olga', role: 'operator' });
    expect(ok.cookie).toMatch(/^roost_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = ok.cookie!.split(';')[0]!;
    const as = (method: string, path: string, body?: string) =>
      fetch(`${plane.api}${path}`, {
        method,
        headers: { cookie, ...(body ? { 'content-type': 'application/x-yaml' } : {}) },
        ...(body ? { body } : {}),
      });
    expect(await (await as('GET', '/api/v1/me')).json()).toMatchObject({ name: 'olga', role: 'operator' });
    expect((await as('GET', '/api/v1/executions/search')).status).toBe(200);
    const forbidden = await as('POST', '/api/v1/flows', 'id: a\nnamespace: b\ntasks: []\n');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as Problem).message).toContain("user 'olga' has the operator role");

    const out = await as('POST', '/api/v1/logout');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await as('GET', '/api/v1/me');
    expect(after.status).toBe(401);
    expect(((await after.json()) as Problem).message).toContain('log in again');
  });

  it('ends every session of a deleted user', async () => {
    await call(plane.api, 'POST', '/api/v1/users', {
      name: 'leaver',
      role: 'viewer',
      password: 'long enough',
    });
    const cookie = (await login(plane.api, 'leaver', 'long enough')).cookie!.split(';')[0]!;
    expect((await fetch(`${plane.api}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
    expect((await call(plane.api, 'DELETE', '/api/v1/users/leaver')).status).toBe(204);
    expect((await fetch(`${plane.api}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('creates an admin token on a first start only, and keeps a configured one in step', async () => {
    const fresh = await createTestDatabase();
    try {
      const { repository } = await fresh.open();
      const first = await bootstrapAdmin(repository, undefined);
      expect(first).toMatch(/^roost_/);
      expect((await repository.access.tokenByHash(secretHash(first!), new Date()))?.role).toBe('admin');
      expect(await bootstrapAdmin(repository, undefined)).toBeUndefined();

      await bootstrapAdmin(repository, 'configured-admin-token-1');
      await bootstrapAdmin(repository, 'configured-admin-token-2');
      expect(
        await repository.access.tokenByHash(secretHash('configured-admin-token-1'), new Date()),
      ).toBeUndefined();
      expect(
        (await repository.access.tokenByHash(secretHash('configured-admin-token-2'), new Date()))?.role,
      ).toBe('admin');
      await expect(bootstrapAdmin(repository, 'short')).rejects.toThrow(/at least 16 characters/);
    } finally {
      await fresh.drop();
    }
  });

  it('manages tokens and users from the CLI with --server and ROOST_TOKEN', async () => {
    const env = { ROOST_TOKEN: plane.adminToken };
    const create = processes.spawn(
      'token create',
      [
        'token',
        'create',
        '--role',
        'operator',
        '--name',
        'from-cli',
        '--server',
        plane.api,
        '--output',
        'json',
      ],
      env,
    );
    expect(await create.exited).toBe(0);
    const token = JSON.parse(create.output) as TokenJson;
    expect(token).toMatchObject({ name: 'from-cli', role: 'operator' });

    const list = processes.spawn('token list', ['token', 'list', '--server', plane.api], env);
    expect(await list.exited).toBe(0);
    expect(list.output).toMatch(/from-cli\toperator/);
    expect(list.output).not.toContain(token.token!);

    const user = processes.spawn(
      'user create',
      ['user', 'create', 'piped', '--role', 'viewer', '--password-stdin', '--server', plane.api],
      env,
      'piped password\n',
    );
    expect(await user.exited).toBe(0);
    expect((await login(plane.api, 'piped', 'piped password')).status).toBe(200);

    const weak = processes.spawn('as operator', ['token', 'list', '--server', plane.api], {
      ROOST_TOKEN: token.token!,
    });
    expect(await weak.exited).toBe(1);
    expect(weak.output).toContain('needs the admin role');

    const revoke = processes.spawn(
      'token revoke',
      ['token', 'revoke', 'from-cli', '--server', plane.api],
      env,
    );
    expect(await revoke.exited).toBe(0);
    const none = processes.spawn('no token', ['token', 'list', '--server', plane.api], {});
    expect(await none.exited).toBe(1);
    expect(none.output).toContain('ROOST_UNAUTHORIZED');
    expect(none.output).toContain('set ROOST_TOKEN or pass --token');
  }, 60_000);
});
