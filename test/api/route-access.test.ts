// Every route fastify has (enumerated from the live server, so routes added later are swept too)
// refuses callers without credentials and callers whose role is too weak, and lets the right role in.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforceAccess, requireAccessDeclarations } from '../../control-plane/webserver/auth/access.ts';
import { errorHandler } from '../../control-plane/webserver/errors.ts';
import type { RouteAccess } from '../../control-plane/webserver/index.ts';
import { call } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

/** A concrete path for a route pattern: every parameter and wildcard gets a harmless value. */
function pathOf(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, 'no-such-thing').replace(/\*/g, 'no-such-thing');
}

const WEAKER = { viewer: [], operator: ['viewer'], admin: ['viewer', 'operator'] } as const;

describe('access to every route', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let routes: readonly RouteAccess[];
  const tokenOf: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    routes = plane.server.routes;
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const created = await call<{ token: string }>(plane.api, 'POST', '/api/v1/tokens', {
        name: `sweep-${role}`,
        role,
      });
      expect(created.status).toBe(201);
      tokenOf[role] = created.body.token;
    }
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  async function status(route: RouteAccess, token: string | null, headers: Record<string, string> = {}) {
    const response = await fetch(`${plane.api}${pathOf(route.url)}`, {
      method: route.method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      signal: AbortSignal.timeout(10_000),
    });
    const body = route.method === 'HEAD' ? '' : await response.text();
    return { status: response.status, body };
  }

  it('knows the routes the server really has', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(keys).toContain('POST /api/v1/flows');
    expect(keys).toContain('DELETE /api/v1/executions/:id/kill');
    expect(keys).toContain('POST /api/v1/tokens');
    expect(keys).toContain('GET /health');
    expect(routes.length).toBeGreaterThan(25);
  });

  it('answers 401 to a caller without credentials on every route but the public ones', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const { status: got, body } = await status(route, null);
      const expected = route.access !== 'public';
      if (expected !== (got === 401)) wrong.push(`${route.method} ${route.url} (${route.access}): ${got}`);
      if (got === 401 && route.method !== 'HEAD') expect(JSON.parse(body).code).toBe('ROOST_UNAUTHORIZED');
    }
    expect(wrong).toEqual([]);
  });

  it('answers 401 to an unknown token and to a malformed Authorization header', async () => {
    const route = routes.find((r) => r.method === 'GET' && r.url === '/api/v1/flows/search')!;
    expect((await status(route, 'roost_not-a-real-token')).status).toBe(401);
    expect((await status(route, null, { authorization: 'Token abc' })).status).toBe(401);
    expect((await status(route, null, { cookie: 'roost_session=forged' })).status).toBe(401);
  });

  it('answers 403 to every role weaker than the route needs, naming the role needed', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      if (route.access === 'public' || route.access === 'viewer') continue;
      const weaker = route.access === 'agent' ? (['admin'] as const) : WEAKER[route.access];
      for (const role of weaker) {
        checked++;
        const { status: got, body } = await status(route, tokenOf[role]!);
        if (got !== 403) wrong.push(`${route.method} ${route.url} (${route.access}) as ${role}: ${got}`);
        else if (route.method !== 'HEAD') {
          const problem = JSON.parse(body) as { code: string; message: string };
          expect(problem.code).toBe('ROOST_FORBIDDEN');
          if (route.access !== 'agent') expect(problem.message).toContain(`needs the ${route.access} role`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(8);
  });

  it('lets the role a route declares through (whatever the route then says about the request)', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      if (route.access === 'public' || route.access === 'agent') continue;
      // logging out or revoking with the role's own token would spoil later checks; the path is a dummy anyway
      const { status: got } = await status(route, tokenOf[route.access]!);
      if (got === 401 || got === 403) wrong.push(`${route.method} ${route.url} as ${route.access}: ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses to register a route that does not declare who may call it', () => {
    const app = Fastify();
    requireAccessDeclarations(app, []);
    expect(() => app.get('/undeclared', async () => 'open')).toThrow(/declares no access/);
    expect(() => app.get('/typo', { config: { access: 'everyone' as never } }, async () => 'open')).toThrow(
      /GET \/typo declares no access/,
    );
    expect(() => app.get('/declared', { config: { access: 'viewer' } }, async () => 'ok')).not.toThrow();
  });

  it("lets an agent's own credentials (HTTP Basic, as on the broker) through to agent routes, and nothing else", async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    requireAccessDeclarations(app, []);
    enforceAccess(app, {
      repository: plane.server.database.repository,
      enabled: true,
      verifyAgent: async (id, password) => id === 'agent-7' && password.toString() === 'its-credential',
    });
    app.get('/agent-only', { config: { access: 'agent' } }, async (request) => request.principal);
    const as = (authorization?: string) =>
      app.inject({ method: 'GET', url: '/agent-only', headers: authorization ? { authorization } : {} });
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const ok = await as(basic('agent-7', 'its-credential'));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ kind: 'agent', agentId: 'agent-7' });
    expect((await as(basic('agent-7', 'wrong'))).statusCode).toBe(401);
    expect((await as(basic('agent-8', 'its-credential'))).statusCode).toBe(401);
    expect((await as()).statusCode).toBe(401);
    expect((await as(`Bearer ${tokenOf.admin}`)).statusCode).toBe(403);
    await app.close();
  });
});
