// Files to and from agents: an agent uploads what a task run produced and downloads files of its job's
// execution. It authenticates as it does to the broker (agent id and credential, HTTP Basic), and each
// request names the job and attempt it holds a lease for: it may write only under that task run and
// read only files of that execution.
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import type { JobRow } from '../../repository/index.ts';
import {
  type ExecutionScope,
  executionSegments,
  isSafeSegment,
  isUnder,
  taskRunFileUri,
} from '../../storage/index.ts';
import type { WebserverDeps } from '../deps.ts';

/** The path agents use; `?jobId=&attempt=` name the lease, `name=` (PUT) or `uri=` (GET) the file. */
export const AGENT_FILES_PATH = '/api/v1/agent/files';

interface FileQuery {
  jobId?: string;
  attempt?: string;
  name?: string;
  uri?: string;
}

/** The agent the access hook authenticated (the route's access is `agent`). */
function authenticatedAgent(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'agent')
    throw new RoostError('ROOST_UNAUTHORIZED', 'agent credentials are missing');
  return principal.agentId;
}

interface Lease {
  job: JobRow;
  scope: ExecutionScope;
  taskId: string;
}

/** The job the agent holds the current lease of, with its execution's storage scope; otherwise 403. */
async function leaseOf(deps: WebserverDeps, agentId: string, query: FileQuery): Promise<Lease> {
  const { jobId, attempt } = query;
  if (!jobId || !attempt || !/^\d+$/.test(attempt)) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      "query parameters 'jobId' and 'attempt' (a number) are required",
    );
  }
  const job = await deps.repository.jobs.get(jobId);
  const held =
    job?.state === 'leased' &&
    job.agentId === agentId &&
    job.attempt === Number(attempt) &&
    (job.leaseUntil?.getTime() ?? 0) > Date.now();
  if (!job || !held) {
    throw new RoostError(
      'ROOST_FORBIDDEN',
      `agent ${agentId} holds no lease of job ${jobId} attempt ${attempt}`,
    );
  }
  const execution = await deps.repository.executions.get(job.executionId);
  const taskId = job.payload.task.id;
  if (!execution || typeof taskId !== 'string') {
    throw new RoostError('ROOST_NOT_FOUND', `the execution of job ${jobId} no longer exists`);
  }
  return {
    job,
    taskId,
    scope: { namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id },
  };
}

export function agentFileRoutes(app: FastifyInstance, deps: WebserverDeps, maxUploadBytes: number) {
  void app.register(async (scope) => {
    // uploads are streamed to storage as they arrive, whatever their content type
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.put<{ Querystring: FileQuery }>(
      AGENT_FILES_PATH,
      { config: { access: 'agent' } },
      async (request) => {
        const agentId = authenticatedAgent(request);
        const lease = await leaseOf(deps, agentId, request.query);
        const name = request.query.name ?? '';
        if (!name.split('/').every(isSafeSegment)) {
          throw new RoostError('ROOST_BAD_REQUEST', `'${name.slice(0, 200)}' is not a relative file name`);
        }
        const uri = taskRunFileUri(lease.scope, lease.taskId, lease.job.taskRunId, name);
        const body = request.body as Readable | undefined;
        if (!body) throw new RoostError('ROOST_BAD_REQUEST', 'the file content is missing');
        return deps.storage.put(uri, body, { maxBytes: maxUploadBytes });
      },
    );

    scope.get<{ Querystring: FileQuery }>(
      AGENT_FILES_PATH,
      { config: { access: 'agent' } },
      async (request, reply) => {
        const agentId = authenticatedAgent(request);
        const lease = await leaseOf(deps, agentId, request.query);
        const uri = request.query.uri ?? '';
        if (!isUnder(uri, executionSegments(lease.scope))) {
          throw new RoostError(
            'ROOST_FORBIDDEN',
            `${uri.slice(0, 300)} is not a file of execution ${lease.scope.executionId}, which job ${lease.job.id} belongs to`,
          );
        }
        const file = await deps.storage.get(uri);
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', file.size)
          .send(file.content);
      },
    );
  });
}
