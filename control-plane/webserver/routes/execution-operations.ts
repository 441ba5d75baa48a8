// Operations on an existing execution at Kestra's paths: restart, replay from a task run, labels.
import type { FastifyInstance } from 'fastify';
import type { WebserverDeps } from '../deps.ts';
import { executionJson } from '../kestra-json.ts';

export function executionOperationRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const { repository, operations } = deps;

  const withTaskRuns = async (execution: Parameters<typeof executionJson>[0]) =>
    executionJson(execution, await repository.executions.taskRuns(execution.id));

  /** Kestra's restart: a FAILED or KILLED execution runs its failed task runs again, in place. */
  app.post<{ Params: { id: string } }>(
    '/api/v1/executions/:id/restart',
    { config: { access: 'operator' } },
    async (request) => withTaskRuns(await operations.restart(request.params.id)),
  );

  /** Kestra's replay: a new execution, linked to this one, re-running from the task run (or the start). */
  app.post<{ Params: { id: string }; Querystring: { taskRunId?: string } }>(
    '/api/v1/executions/:id/replay',
    { config: { access: 'operator' } },
    async (request) => {
      const { taskRunId } = request.query;
      return withTaskRuns(
        await operations.replay(request.params.id, taskRunId === '' ? undefined : taskRunId),
      );
    },
  );

  /** Kestra's labels of an ended execution: a list of `{key, value}` to add or replace. */
  app.post<{ Params: { id: string } }>(
    '/api/v1/executions/:id/labels',
    { config: { access: 'operator' } },
    async (request) => withTaskRuns(await operations.setLabels(request.params.id, request.body)),
  );
}
