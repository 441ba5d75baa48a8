// Enrolment over HTTP: registration tokens (admin), the registration an agent makes with one, and the
// management of enrolled agents: relabel, maintenance, revoke, rotate their credential (admin).
import type { FastifyInstance } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import { checkLabels, createToken, register, tokenView } from '../../enrolment/index.ts';
import type { WebserverDeps } from '../deps.ts';

type IdParams = { Params: { id: string } };

/** Managing agents and registration tokens is for admins. */
const ADMIN = { config: { access: 'admin' } } as const;
/** Registration carries its own proof (the registration token), so it takes no API token. */
const PUBLIC = { config: { access: 'public' } } as const;

const notFound = (what: string, id: string) =>
  new RoostError('ROOST_NOT_FOUND', `${what} ${id} does not exist`);

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new RoostError('ROOST_BAD_REQUEST', `send ${what} as a JSON object`);
  return body as Record<string, unknown>;
}

export function enrolmentRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const { repository } = deps;

  app.post('/api/v1/agent-tokens', ADMIN, async (request, reply) => {
    const token = await createToken(repository, objectBody(request.body, 'a registration token'));
    return reply.status(201).send(token);
  });

  app.get('/api/v1/agent-tokens', ADMIN, async () => {
    const now = new Date();
    return (await repository.tokens.list()).map((row) => tokenView(row, now));
  });

  app.delete<IdParams>('/api/v1/agent-tokens/:id', ADMIN, async (request, reply) => {
    if (!(await repository.tokens.revoke(request.params.id, new Date())))
      throw notFound('registration token', request.params.id);
    return reply.status(204).send();
  });

  // the registration token in the body is the credential of this route
  app.post('/api/v1/agents/register', PUBLIC, async (request, reply) => {
    const registration = await register(repository, objectBody(request.body, 'a registration'));
    request.log.info({ agentId: registration.agentId }, 'agent enrolled');
    return reply.status(201).send(registration);
  });

  app.patch<IdParams>('/api/v1/agents/:id', ADMIN, async (request) => {
    const body = objectBody(request.body, 'the change');
    const unknown = Object.keys(body).filter((k) => k !== 'labels' && k !== 'maintenance');
    if (unknown.length)
      throw new RoostError('ROOST_BAD_REQUEST', `unknown field ${unknown[0]}: change labels or maintenance`);
    if (body.maintenance !== undefined && typeof body.maintenance !== 'boolean')
      throw new RoostError('ROOST_BAD_REQUEST', 'maintenance must be true or false');
    const change = {
      ...(body.labels !== undefined ? { labels: checkLabels(body.labels, 'labels') } : {}),
      ...(body.maintenance !== undefined ? { adminMaintenance: body.maintenance as boolean } : {}),
    };
    const row = await repository.transaction(async (tx) => {
      const agent = await tx.agents.get(request.params.id);
      if (!agent) throw notFound('agent', request.params.id);
      if (agent.revokedAt) throw new RoostError('ROOST_CONFLICT', `agent ${agent.id} is revoked`);
      return tx.agents.update(agent.id, change);
    });
    return { id: row!.id, name: row!.name, labels: row!.labels, maintenance: row!.adminMaintenance };
  });

  app.post<IdParams>('/api/v1/agents/:id/revoke', ADMIN, async (request) => {
    const row = await repository.transaction((tx) => tx.agents.revoke(request.params.id, new Date()));
    if (!row) throw notFound('agent', request.params.id);
    return { id: row.id, revokedAt: row.revokedAt?.toISOString() };
  });

  app.post<IdParams>('/api/v1/agents/:id/rotate-credential', ADMIN, async (request, reply) => {
    const agent = await repository.agents.get(request.params.id);
    if (!agent) throw notFound('agent', request.params.id);
    if (agent.revokedAt || !agent.credentialHash)
      throw new RoostError(
        'ROOST_CONFLICT',
        `agent ${agent.id} has no credential of its own to rotate (revoked, or it uses the shared secret)`,
      );
    if (agent.state !== 'online')
      throw new RoostError(
        'ROOST_CONFLICT',
        `agent ${agent.id} is offline: a credential rotates over its live connection`,
      );
    await repository.agents.notify('rotate', agent.id);
    return reply.status(202).send({ id: agent.id, rotation: 'requested' });
  });
}
