// Execution routes, at Kestra's paths: start, read, search, follow live (server-sent events).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Flow } from '../../../protocol/flow/index.ts';
import { isTerminal, RoostError } from '../../../protocol/index.ts';
import type { WebserverDeps } from '../deps.ts';
import { executionJson } from '../kestra-json.ts';
import {
  discardFiles,
  executionFileRoutes,
  readFormInputs,
  refuseStorageReferences,
} from './execution-files.ts';

/** Kestra passes labels as `labels=key:value`, repeated. */
function parseLabels(raw: string | string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const at = item.indexOf(':');
    if (at <= 0) throw new RoostError('ROOST_BAD_REQUEST', `label '${item}' must be written key:value`);
    labels[item.slice(0, at)] = item.slice(at + 1);
  }
  return labels;
}

function inputsOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body))
    return body as Record<string, unknown>;
  throw new RoostError(
    'ROOST_BAD_REQUEST',
    'send inputs as a JSON object or a form of input names to values',
  );
}

/** The most often a follower is sent the execution while it changes. */
const FOLLOW_MIN_INTERVAL_MS = 100;

export function executionRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const { repository } = deps;
  executionFileRoutes(app, deps);

  async function load(id: string) {
    const execution = await repository.executions.get(id);
    if (!execution) throw new RoostError('ROOST_NOT_FOUND', `execution ${id} does not exist`);
    return executionJson(execution, await repository.executions.taskRuns(id));
  }

  app.post<{ Params: { namespace: string; id: string }; Querystring: { labels?: string | string[] } }>(
    '/api/v1/executions/:namespace/:id',
    { config: { access: 'operator' } },
    async (request) => {
      const { namespace, id: flowId } = request.params;
      const labels = parseLabels(request.query.labels);
      if (!request.isMultipart()) {
        const inputs = inputsOf(request.body);
        const flow = await repository.flows.latest(namespace, flowId);
        if (flow) refuseStorageReferences(flow.document as Flow, inputs);
        const execution = await deps.startExecution({ namespace, flowId, inputs, labels });
        return executionJson(execution, []);
      }
      // FILE inputs: the files are stored first, under the id the execution will have; if the execution
      // is refused, they are removed again.
      const flow = await repository.flows.latest(namespace, flowId);
      if (!flow) throw new RoostError('ROOST_NOT_FOUND', `flow ${namespace}.${flowId} does not exist`);
      const form = await readFormInputs(request, deps, flow.document as Flow, { namespace, flowId });
      try {
        const execution = await deps.startExecution({
          namespace,
          flowId,
          inputs: form.inputs,
          labels,
          id: form.executionId,
        });
        return executionJson(execution, []);
      } catch (error) {
        await discardFiles(deps, { namespace, flowId, executionId: form.executionId });
        throw error;
      }
    },
  );

  app.get<{ Querystring: { namespace?: string; flowId?: string; size?: string } }>(
    '/api/v1/executions/search',
    { config: { access: 'viewer' } },
    async (request) => {
      const { namespace, flowId, size } = request.query;
      const rows = await repository.executions.list({
        ...(namespace ? { namespace } : {}),
        ...(flowId ? { flowId } : {}),
        limit: Math.min(Number(size ?? 25) || 25, 1000),
      });
      return { results: rows.map((row) => executionJson(row, [])), total: rows.length };
    },
  );

  app.get<{ Params: { id: string } }>('/api/v1/executions/:id', { config: { access: 'viewer' } }, (request) =>
    load(request.params.id),
  );

  /** Kestra's kill: running task runs (and their processes on agents) are killed; nothing new starts. */
  app.delete<{ Params: { id: string } }>(
    '/api/v1/executions/:id/kill',
    { config: { access: 'operator' } },
    async (request, reply) => {
      const execution = await repository.executions.get(request.params.id);
      if (!execution)
        throw new RoostError('ROOST_NOT_FOUND', `execution ${request.params.id} does not exist`);
      if (isTerminal(execution.state)) {
        throw new RoostError('ROOST_CONFLICT', `execution ${execution.id} already ended ${execution.state}`);
      }
      await deps.signalExecution(execution.id, { type: 'kill' });
      return reply.status(202).send();
    },
  );

  /** Kestra's resume of a paused execution, with the inputs its Pause tasks declare in `onResume`. */
  app.post<{ Params: { id: string } }>(
    '/api/v1/executions/:id/resume',
    { config: { access: 'operator' } },
    async (request, reply) => {
      const execution = await repository.executions.get(request.params.id);
      if (!execution)
        throw new RoostError('ROOST_NOT_FOUND', `execution ${request.params.id} does not exist`);
      if (execution.state !== 'PAUSED') {
        throw new RoostError('ROOST_CONFLICT', `execution ${execution.id} is ${execution.state}, not PAUSED`);
      }
      const inputs = inputsOf(request.body);
      const errors = await deps.resumeErrors(execution.id, inputs);
      if (errors.length)
        throw new RoostError('ROOST_INPUT_INVALID', errors.join('; '), { details: { errors } });
      await deps.signalExecution(execution.id, { type: 'resume', inputs });
      return reply.status(204).send();
    },
  );

  /** Sends the execution on every change, as server-sent events, until it ends. */
  app.get<{ Params: { id: string } }>(
    '/api/v1/executions/:id/follow',
    { config: { access: 'viewer' } },
    async (request, reply) => {
      const first = await load(request.params.id);
      followExecution(reply, deps, request.params.id, first);
    },
  );
}

function followExecution(
  reply: FastifyReply,
  deps: WebserverDeps,
  id: string,
  first: Awaited<ReturnType<typeof executionJson>>,
) {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let closed = false;
  let sending = false;
  let again = false;
  const send = (execution: ReturnType<typeof executionJson>) => {
    raw.write(`event: execution\ndata: ${JSON.stringify(execution)}\n\n`);
    // an ended execution may still run its afterExecution tasks: follow it until they end too
    const ended = (state: unknown) => isTerminal(state as never);
    if (ended(execution.state.current) && execution.taskRunList.every((run) => ended(run.state.current)))
      finish();
  };
  const refresh = async () => {
    if (closed) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    try {
      const execution = await deps.repository.executions.get(id);
      if (execution && !closed) send(executionJson(execution, await deps.repository.executions.taskRuns(id)));
    } catch (error) {
      deps.logger.warn({ err: error, executionId: id }, 'follow refresh failed');
    } finally {
      sending = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };
  // Each refresh reads the whole execution: coalesce bursts of changes into at most one per 100 ms.
  let lastRefresh = 0;
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    if (pending) return;
    const wait = Math.max(0, lastRefresh + FOLLOW_MIN_INTERVAL_MS - Date.now());
    pending = setTimeout(() => {
      pending = undefined;
      lastRefresh = Date.now();
      void refresh();
    }, wait);
  };
  const unwatch = deps.watchExecution(id, changed);
  // a safety net for changes made by executors in other processes
  const poll = setInterval(() => void refresh(), 1_000);
  function finish() {
    if (closed) return;
    closed = true;
    clearTimeout(pending);
    unwatch();
    clearInterval(poll);
    raw.end();
  }
  raw.on('close', finish);
  send(first);
}
