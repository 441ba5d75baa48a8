// Agents and worker groups: list agents with their groups; create, list and delete worker groups.
import type { FastifyInstance } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import { membershipOf } from '../../dispatcher/index.ts';
import type { WebserverDeps } from '../deps.ts';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function parseGroup(body: unknown): {
  key: string;
  selector: Record<string, string>;
  description: string | null;
  offline: boolean;
} {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      'send a worker group as a JSON object {key, selector, description, offline}',
    );
  }
  const { key, selector, description, offline } = body as Record<string, unknown>;
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      "key must be letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  if (
    selector === null ||
    typeof selector !== 'object' ||
    Array.isArray(selector) ||
    !Object.keys(selector).length
  ) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      'selector must be a non-empty map of label to value (use * for any value)',
    );
  }
  for (const [label, value] of Object.entries(selector)) {
    if (typeof value !== 'string' || !label)
      throw new RoostError('ROOST_BAD_REQUEST', `selector.${label} must be a string`);
  }
  if (description !== undefined && description !== null && typeof description !== 'string') {
    throw new RoostError('ROOST_BAD_REQUEST', 'description must be a string');
  }
  if (offline !== undefined && typeof offline !== 'boolean') {
    throw new RoostError('ROOST_BAD_REQUEST', 'offline must be true or false');
  }
  return {
    key,
    selector: selector as Record<string, string>,
    description: (description as string | undefined) ?? null,
    offline: offline ?? false,
  };
}

export function agentRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const { repository } = deps;

  app.get('/api/v1/agents', { config: { access: 'viewer' } }, async () => {
    const groups = (await repository.agents.workerGroups()).map((g) => ({
      key: g.key,
      selector: g.selector,
    }));
    return (await repository.agents.list()).map((agent) => {
      const membership = membershipOf(agent.labels, groups);
      return {
        id: agent.id,
        name: agent.name,
        labels: agent.labels,
        slots: agent.slots,
        state: agent.state,
        maintenance: agent.maintenance || agent.adminMaintenance,
        enrolled: agent.credentialHash !== null || agent.tokenId !== null,
        revokedAt: agent.revokedAt?.toISOString() ?? null,
        agentVersion: agent.agentVersion,
        lastSeen: agent.lastSeen.toISOString(),
        workerGroups: [...(membership.inDefaultGroup ? ['(default)'] : []), ...membership.groups],
      };
    });
  });

  app.get('/api/v1/worker-groups', { config: { access: 'viewer' } }, async () =>
    repository.agents.workerGroups(),
  );

  // Maintenance mode: the agent takes no new job (running ones finish). It is kept on the agent's row,
  // so it lasts across restarts of the agent and of the control plane until turned off (the same flag
  // as PATCH /api/v1/agents/{id} {maintenance}); a connected agent is also told, so that its own
  // status says so.
  app.post<{ Params: { id: string } }>(
    '/api/v1/agents/:id/maintenance',
    { config: { access: 'admin' } },
    async (request) => {
      const body = request.body as { enabled?: unknown } | null | undefined;
      if (typeof body?.enabled !== 'boolean') {
        throw new RoostError('ROOST_BAD_REQUEST', 'send {"enabled": true} or {"enabled": false} as JSON');
      }
      const { id } = request.params;
      const enabled = body.enabled;
      await repository.transaction(async (tx) => {
        const agent = await tx.agents.get(id);
        if (!agent) throw new RoostError('ROOST_NOT_FOUND', `agent ${id} does not exist`);
        if (agent.revokedAt) throw new RoostError('ROOST_CONFLICT', `agent ${id} is revoked`);
        await tx.agents.update(id, { adminMaintenance: enabled });
      });
      const told = (await deps.setAgentMaintenance?.(id, enabled)) ?? false;
      return { id, maintenance: enabled, connected: told };
    },
  );

  app.post('/api/v1/worker-groups', { config: { access: 'admin' } }, async (request, reply) => {
    const group = parseGroup(request.body);
    const row = await repository.transaction((tx) => tx.agents.saveWorkerGroup(group));
    return reply.status(201).send(row);
  });

  app.delete<{ Params: { key: string } }>(
    '/api/v1/worker-groups/:key',
    { config: { access: 'admin' } },
    async (request, reply) => {
      const deleted = await repository.transaction((tx) => tx.agents.deleteWorkerGroup(request.params.key));
      if (!deleted)
        throw new RoostError('ROOST_NOT_FOUND', `worker group ${request.params.key} does not exist`);
      return reply.status(204).send();
    },
  );
}
