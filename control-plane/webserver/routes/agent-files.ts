// Files to and from agents: an agent uploads what a task run produced and downloads files of its job's
// execution. It authenticates as it does to the broker (agent id and credential, HTTP Basic), and each
// request names the job and attempt it holds a lease for: it may write only under that task run and
// read only files of that execution and of the executions linked to it by subflows (its parent chain,
// and the executions below it), which is how a file passes from a parent to a subflow and back.
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import type { ExecutionRow, JobRow } from '../../repository/index.ts';
import {
  type ExecutionScope,
  executionSegments,
  isSafeSegment,
  isUnder,
  parseStorageUri,
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
  execution: ExecutionRow;
  scope: ExecutionScope;
  taskId: string;
}

/** How many subflow levels a file may cross (deeper chains are refused, and a cycle cannot loop). */
const MAX_LINK_DEPTH = 32;

const scopeOf = (execution: ExecutionRow): ExecutionScope => ({
  namespace: execution.namespace,
  flowId: execution.flowId,
  executionId: execution.id,
});

/** The execution and those above it through `parentId`, closest first. */
async function chainOf(deps: WebserverDeps, execution: ExecutionRow): Promise<ExecutionRow[]> {
  const chain = [execution];
  for (let parentId = execution.parentId; parentId && chain.length <= MAX_LINK_DEPTH; ) {
    const parent = await deps.repository.executions.get(parentId);
    if (!parent || chain.some((e) => e.id === parent.id)) break;
    chain.push(parent);
    parentId = parent.parentId;
  }
  return chain;
}

/**
 * Whether `uri` is a file of the lease's execution, of one above it (a parent's file passed to a subflow)
 * or of one below it (a subflow's output file read by its parent): the file's execution and the job's
 * must lie on one `parentId` chain.
 */
async function mayRead(deps: WebserverDeps, lease: Lease, uri: string): Promise<boolean> {
  const ownChain = await chainOf(deps, lease.execution);
  if (ownChain.some((execution) => isUnder(uri, executionSegments(scopeOf(execution))))) return true;
  let segments: string[];
  try {
    segments = parseStorageUri(uri);
  } catch {
    return false;
  }
  // below: the execution the URI names, whose chain reaches the job's execution
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] !== 'executions') continue;
    const owner = await deps.repository.executions.get(segments[i + 1]!);
    if (!owner || !isUnder(uri, executionSegments(scopeOf(owner)))) continue;
    if ((await chainOf(deps, owner)).some((execution) => execution.id === lease.execution.id)) return true;
  }
  return false;
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
  return { job, execution, taskId, scope: scopeOf(execution) };
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
        if (!(await mayRead(deps, lease, uri))) {
          throw new RoostError(
            'ROOST_FORBIDDEN',
            `${uri.slice(0, 300)} is not a file of execution ${lease.scope.executionId}, which job ${lease.job.id} belongs to, nor of an execution linked to it by subflows`,
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
