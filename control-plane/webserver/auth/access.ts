// Who may call which route. Every route declares `config: { access }`; registering one without it
// fails at once, so a route cannot be added without deciding who may call it. A hook on every
// request then finds the caller (API token, session cookie, or an agent's credentials) and checks
// the route's access against the caller's role.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import type { Repository } from '../../repository/index.ts';
import { type Role, roleAllows, secretHash } from './credentials.ts';

/** A role, `agent` (an agent's own credentials), or `public` (anyone, e.g. health and login). */
export const ACCESS = ['public', 'viewer', 'operator', 'admin', 'agent'] as const;
export type Access = (typeof ACCESS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type Principal =
  | { kind: 'token'; id: string; name: string; role: Role }
  | { kind: 'session'; userId: string; name: string; role: Role }
  /** authentication is off (`roost server local` for a first evaluation): everyone is admin */
  | { kind: 'anonymous'; name: 'anonymous'; role: 'admin' }
  | { kind: 'agent'; agentId: string };

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

export const SESSION_COOKIE = 'roost_session';

/** Refuses any route registered without a valid `config.access`, and records the rest in `table`. */
export function requireAccessDeclarations(app: FastifyInstance, table: RouteAccess[]): void {
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: unknown } | undefined)?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!(ACCESS as readonly unknown[]).includes(access)) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} declares no access: add config: { access: ${ACCESS.map((a) => `'${a}'`).join(' | ')} }`,
      );
    }
    for (const method of methods) table.push({ method, url: route.url, access: access as Access });
  });
}

export interface AuthenticationOptions {
  repository: Repository;
  /** false: every caller is an anonymous admin (local evaluation only) */
  enabled: boolean;
  /** checks an agent's id and credential (the broker's check) for `agent` routes */
  verifyAgent?: ((agentId: string, password: Buffer) => boolean | Promise<boolean>) | undefined;
  now?: () => Date;
}

/** How often a token's last use is written (a write per request would be wasteful). */
const LAST_USED_RESOLUTION_MS = 60_000;

export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

function unauthorized(message: string): RoostError {
  return new RoostError('ROOST_UNAUTHORIZED', message);
}

/** The user behind a bearer token or a session cookie; undefined when the request carries neither. */
async function userOf(
  request: FastifyRequest,
  options: AuthenticationOptions,
): Promise<Principal | undefined> {
  const now = options.now?.() ?? new Date();
  const header = request.headers.authorization;
  if (header !== undefined) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!bearer) throw unauthorized('the Authorization header must be "Bearer <API token>"');
    const token = await options.repository.access.tokenByHash(secretHash(bearer[1]!), now);
    if (!token) throw unauthorized('the API token is unknown, revoked or expired');
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)
      await options.repository.access.touchToken(token.id, now);
    return { kind: 'token', id: token.id, name: token.name, role: token.role as Role };
  }
  const cookie = cookieValue(request, SESSION_COOKIE);
  if (cookie !== undefined) {
    const found = await options.repository.access.sessionByHash(secretHash(cookie), now);
    if (!found) throw unauthorized('the session has ended: log in again');
    return { kind: 'session', userId: found.user.id, name: found.user.name, role: found.user.role as Role };
  }
  return undefined;
}

/** An agent presents HTTP Basic credentials: its id and the credential it gives the broker. */
async function agentOf(
  request: FastifyRequest,
  options: AuthenticationOptions,
): Promise<Principal | undefined> {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!basic || !options.verifyAgent) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at <= 0) return undefined;
  const agentId = decoded.slice(0, at);
  return (await options.verifyAgent(agentId, Buffer.from(decoded.slice(at + 1))))
    ? { kind: 'agent', agentId }
    : undefined;
}

/** Adds the request hook that authenticates the caller and enforces each route's access. */
export function enforceAccess(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    const route = `${request.method} ${request.routeOptions.url}`;
    if (access === 'public') return;
    if (access === 'agent') {
      const agent = await agentOf(request, options);
      if (agent) {
        request.principal = agent;
        return;
      }
      if (request.headers.authorization?.match(/^Bearer\s/i) || cookieValue(request, SESSION_COOKIE))
        throw new RoostError('ROOST_FORBIDDEN', `${route} is for agents, with their own credentials`);
      throw unauthorized(`${route} needs an agent's credentials (HTTP Basic: agent id and credential)`);
    }
    if (!access) throw new RoostError('ROOST_INTERNAL', `${route} declares no access`);
    if (!options.enabled) {
      request.principal = { kind: 'anonymous', name: 'anonymous', role: 'admin' };
      return;
    }
    const principal = await userOf(request, options);
    if (!principal)
      throw unauthorized(`${route} needs an API token (Authorization: Bearer ...) or a login session`);
    request.principal = principal;
    if (principal.kind !== 'agent' && !roleAllows(principal.role, access)) {
      throw new RoostError(
        'ROOST_FORBIDDEN',
        `${route} needs the ${access} role; ${principal.kind === 'token' ? 'API token' : 'user'} '${principal.name}' has the ${principal.role} role`,
      );
    }
  });
}
