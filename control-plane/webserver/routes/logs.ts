// Log routes, at Kestra's paths.
import type { FastifyInstance } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import type { WebserverDeps } from '../deps.ts';
import { logJson } from '../kestra-json.ts';

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);

export function logRoutes(app: FastifyInstance, deps: WebserverDeps) {
  app.get<{ Params: { executionId: string }; Querystring: { minLevel?: string; taskRunId?: string } }>(
    '/api/v1/logs/:executionId',
    { config: { access: 'viewer' } },
    async (request) => {
      const { executionId } = request.params;
      const { minLevel, taskRunId } = request.query;
      if (minLevel !== undefined && !LEVELS.has(minLevel)) {
        throw new RoostError('ROOST_BAD_REQUEST', `minLevel must be one of ${[...LEVELS].join(', ')}`);
      }
      const execution = await deps.repository.executions.get(executionId);
      if (!execution) throw new RoostError('ROOST_NOT_FOUND', `execution ${executionId} does not exist`);
      const rows = await deps.repository.logs.list(executionId, {
        ...(minLevel ? { minLevel: minLevel as 'INFO' } : {}),
        ...(taskRunId ? { taskRunId } : {}),
      });
      return rows.map((row) => logJson(row, execution));
    },
  );
}
