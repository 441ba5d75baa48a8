// Flow routes, at Kestra's paths: create or update from YAML, read, list, delete, validate.
import type { FastifyInstance } from 'fastify';
import { type Flow, flowJsonSchema, validateFlowSource } from '../../../protocol/flow/index.ts';
import { RoostError } from '../../../protocol/index.ts';
import type { FlowRow } from '../../repository/index.ts';
import type { WebserverDeps } from '../deps.ts';
import { flowError } from '../flow-errors.ts';

export function flowJson(row: FlowRow) {
  return {
    ...(row.document as Flow),
    revision: row.revision,
    source: row.source,
    updated: row.createdAt.toISOString(),
  };
}

function sourceOf(body: unknown): string {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  throw new RoostError('ROOST_BAD_REQUEST', 'send the flow as YAML with Content-Type: application/x-yaml');
}

export function flowRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const { repository } = deps;

  /** Stores the flow as a new revision (or keeps the current one when the source is unchanged). */
  app.post('/api/v1/flows', { config: { access: 'admin' } }, async (request, reply) => {
    const source = sourceOf(request.body);
    const { flow, errors } = validateFlowSource(source);
    if (!flow) throw flowError(errors);
    const { row, created } = await repository.transaction((tx) =>
      tx.flows.save(flow.namespace, flow.id, source, flow as unknown as Record<string, unknown>),
    );
    return reply.status(created ? 201 : 200).send(flowJson(row));
  });

  app.put<{ Params: { namespace: string; id: string } }>(
    '/api/v1/flows/:namespace/:id',
    { config: { access: 'admin' } },
    async (request) => {
      const source = sourceOf(request.body);
      const { flow, errors } = validateFlowSource(source);
      if (!flow) throw flowError(errors);
      const { namespace, id } = request.params;
      if (flow.namespace !== namespace || flow.id !== id) {
        throw new RoostError(
          'ROOST_BAD_REQUEST',
          `the flow's namespace and id (${flow.namespace}.${flow.id}) differ from the path (${namespace}.${id})`,
        );
      }
      const { row } = await repository.transaction((tx) =>
        tx.flows.save(namespace, id, source, flow as unknown as Record<string, unknown>),
      );
      return flowJson(row);
    },
  );

  app.post('/api/v1/flows/validate', { config: { access: 'viewer' } }, async (request) => {
    const { flow, errors } = validateFlowSource(sourceOf(request.body));
    return [
      {
        ...(flow ? { flow: flow.id, namespace: flow.namespace } : {}),
        constraints: errors.length ? errors.map((e) => e.message).join('\n') : null,
        errors,
      },
    ];
  });

  /** The JSON Schema of a whole flow document (for editors' completion and validation). */
  app.get('/api/v1/plugins/schemas/flow', { config: { access: 'viewer' } }, async () => flowJsonSchema());

  app.get<{ Params: { namespace: string; id: string }; Querystring: { revision?: string } }>(
    '/api/v1/flows/:namespace/:id',
    { config: { access: 'viewer' } },
    async (request) => {
      const { namespace, id } = request.params;
      const revision = request.query.revision === undefined ? undefined : Number(request.query.revision);
      const row =
        revision === undefined
          ? await repository.flows.latest(namespace, id)
          : await repository.flows.revision(namespace, id, revision);
      if (!row || row.deleted)
        throw new RoostError('ROOST_NOT_FOUND', `flow ${namespace}.${id} does not exist`);
      return flowJson(row);
    },
  );

  app.get<{ Params: { namespace: string } }>(
    '/api/v1/flows/:namespace',
    { config: { access: 'viewer' } },
    async (request) => (await repository.flows.list(request.params.namespace)).map(flowJson),
  );

  app.get('/api/v1/flows/search', { config: { access: 'viewer' } }, async () => {
    const results = (await repository.flows.list()).map(flowJson);
    return { results, total: results.length };
  });

  app.delete<{ Params: { namespace: string; id: string } }>(
    '/api/v1/flows/:namespace/:id',
    { config: { access: 'admin' } },
    async (request, reply) => {
      const { namespace, id } = request.params;
      const deleted = await repository.transaction((tx) => tx.flows.delete(namespace, id));
      if (!deleted) throw new RoostError('ROOST_NOT_FOUND', `flow ${namespace}.${id} does not exist`);
      return reply.status(204).send();
    },
  );
}
