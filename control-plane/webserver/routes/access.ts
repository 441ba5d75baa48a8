// Access routes: UI login and logout (session cookie), who am I, API tokens and users.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { newId, RoostError } from '../../../protocol/index.ts';
import type { ApiTokenRow, UserRow } from '../../repository/index.ts';
import { cookieValue, SESSION_COOKIE } from '../auth/access.ts';
import {
  checkPassword,
  decoyHash,
  expiryOf,
  hashPassword,
  isRole,
  newApiToken,
  newSessionSecret,
  ROLES,
  secretHash,
  verifyPassword,
} from '../auth/credentials.ts';
import type { WebserverDeps } from '../deps.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const SESSION_TTL_MS = 12 * 3_600_000;

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body))
    throw new RoostError('ROOST_BAD_REQUEST', `send ${what} as a JSON object`);
  return body as Record<string, unknown>;
}

function nameOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      `${field} must be letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

function roleOf(value: unknown) {
  if (!isRole(value)) throw new RoostError('ROOST_BAD_REQUEST', `role must be one of ${ROLES.join(', ')}`);
  return value;
}

const tokenJson = (row: ApiTokenRow) => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  expiresAt: row.expiresAt?.toISOString() ?? null,
});

const userJson = (row: UserRow) => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
});

export interface AccessRouteOptions {
  /** the cookie gets `Secure` when the webserver serves TLS */
  secureCookies: boolean;
}

export function accessRoutes(app: FastifyInstance, deps: WebserverDeps, options: AccessRouteOptions) {
  const { repository } = deps;
  const cookie = (value: string, maxAgeS: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${options.secureCookies ? '; Secure' : ''}`;
  const clearCookie = (reply: FastifyReply) => reply.header('set-cookie', cookie('', 0));

  app.post('/api/v1/login', { config: { access: 'public' } }, async (request, reply) => {
    const body = objectBody(request.body, 'the login');
    const { username, password } = body;
    if (typeof username !== 'string' || typeof password !== 'string')
      throw new RoostError('ROOST_BAD_REQUEST', 'send {"username": ..., "password": ...}');
    const user = await repository.access.userByName(username);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !matches) throw new RoostError('ROOST_UNAUTHORIZED', 'wrong user name or password');
    const secret = newSessionSecret();
    const now = new Date();
    await repository.access.createSession(
      {
        id: newId(),
        userId: user.id,
        secretHash: secretHash(secret),
        expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
      },
      now,
    );
    reply.header('set-cookie', cookie(secret, SESSION_TTL_MS / 1000));
    return { username: user.name, role: user.role };
  });

  app.post('/api/v1/logout', { config: { access: 'public' } }, async (request, reply) => {
    const secret = cookieValue(request, SESSION_COOKIE);
    if (secret) await repository.access.deleteSession(secretHash(secret));
    clearCookie(reply);
    return reply.status(204).send();
  });

  app.get('/api/v1/me', { config: { access: 'viewer' } }, async (request) => {
    const principal = request.principal;
    if (!principal || principal.kind === 'agent') throw new RoostError('ROOST_INTERNAL', 'no principal');
    return { name: principal.name, role: principal.role, kind: principal.kind };
  });

  app.get('/api/v1/tokens', { config: { access: 'admin' } }, async () =>
    (await repository.access.listTokens()).map(tokenJson),
  );

  /** Creates a token; its secret is in this answer and nowhere else, ever. */
  app.post('/api/v1/tokens', { config: { access: 'admin' } }, async (request, reply) => {
    const body = objectBody(request.body ?? {}, 'the token');
    const role = roleOf(body.role);
    const id = newId();
    const name = body.name === undefined ? `token-${id.slice(-8)}` : nameOf(body.name, 'name');
    const token = newApiToken();
    const row = await repository.access.createToken({
      id,
      name,
      role,
      tokenHash: secretHash(token),
      expiresAt: expiryOf(body.expiresAt, new Date()),
    });
    if (!row) throw new RoostError('ROOST_CONFLICT', `a token named '${name}' exists already`);
    return reply.status(201).send({ ...tokenJson(row), token });
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    { config: { access: 'admin' } },
    async (request, reply) => {
      if (!(await repository.access.revokeToken(request.params.id)))
        throw new RoostError('ROOST_NOT_FOUND', `no token has the id or name '${request.params.id}'`);
      return reply.status(204).send();
    },
  );

  app.get('/api/v1/users', { config: { access: 'admin' } }, async () =>
    (await repository.access.listUsers()).map(userJson),
  );

  app.post('/api/v1/users', { config: { access: 'admin' } }, async (request, reply) => {
    const body = objectBody(request.body, 'the user');
    const name = nameOf(body.name, 'name');
    const role = roleOf(body.role);
    const passwordHash = await hashPassword(checkPassword(body.password));
    const row = await repository.access.createUser({ id: newId(), name, role, passwordHash });
    if (!row) throw new RoostError('ROOST_CONFLICT', `a user named '${name}' exists already`);
    return reply.status(201).send(userJson(row));
  });

  app.delete<{ Params: { name: string } }>(
    '/api/v1/users/:name',
    { config: { access: 'admin' } },
    async (request, reply) => {
      const deleted = await repository.transaction((tx) => tx.access.deleteUser(request.params.name));
      if (!deleted) throw new RoostError('ROOST_NOT_FOUND', `user ${request.params.name} does not exist`);
      return reply.status(204).send();
    },
  );
}
