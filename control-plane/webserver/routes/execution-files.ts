// FILE inputs sent as multipart/form-data (stored before the execution is created) and downloads of an
// execution's files at Kestra's path, GET /api/v1/executions/{id}/file?path=kestra:///...
import { basename } from 'node:path';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Flow } from '../../../protocol/flow/index.ts';
import { newId, RoostError } from '../../../protocol/index.ts';
import {
  type ExecutionScope,
  executionSegments,
  fileNameOf,
  formatStorageUri,
  inputFileUri,
  isSafeSegment,
  isUnder,
  STORAGE_SCHEME,
} from '../../storage/index.ts';
import type { WebserverDeps } from '../deps.ts';

/** What a multipart request carried: input values (files replaced by their URIs) and the files stored. */
export interface FormInputs {
  inputs: Record<string, unknown>;
  /** the new execution's id: its files are stored under it */
  executionId: string;
}

const fileInputIds = (flow: Flow): Set<string> =>
  new Set((flow.inputs ?? []).filter((input) => input.type === 'FILE').map((input) => input.id));

/** A browser's or curl's file name, reduced to its last segment; a name that cannot be a file name is refused. */
function uploadName(part: MultipartFile): string {
  const name = basename((part.filename || part.fieldname).replace(/\\/g, '/'));
  if (!isSafeSegment(name)) {
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      `input '${part.fieldname}': '${part.filename}' is not a usable file name`,
    );
  }
  return name;
}

/**
 * Reads a multipart request: fields are input values, each file is streamed to internal storage at the
 * URI of its input under the execution id chosen here. On any error, what was stored is removed.
 */
export async function readFormInputs(
  request: FastifyRequest,
  deps: WebserverDeps,
  flow: Flow,
  scope: Omit<ExecutionScope, 'executionId'>,
): Promise<FormInputs> {
  const executionId = newId();
  const files = fileInputIds(flow);
  const inputs: Record<string, unknown> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        inputs[part.fieldname] = part.value;
        continue;
      }
      if (!files.has(part.fieldname)) {
        part.file.resume();
        throw new RoostError(
          'ROOST_INPUT_INVALID',
          `input '${part.fieldname}': flow ${scope.namespace}.${scope.flowId} has no FILE input of that name`,
        );
      }
      if (Object.hasOwn(inputs, part.fieldname)) {
        part.file.resume();
        throw new RoostError('ROOST_INPUT_INVALID', `input '${part.fieldname}': send one file, not several`);
      }
      const uri = inputFileUri({ ...scope, executionId }, part.fieldname, uploadName(part));
      await deps.storage.put(uri, part.file);
      if (part.file.truncated) {
        throw new RoostError(
          'ROOST_PAYLOAD_TOO_LARGE',
          `input '${part.fieldname}': the file is over the size limit`,
        );
      }
      inputs[part.fieldname] = uri;
    }
  } catch (error) {
    await discardFiles(deps, { ...scope, executionId });
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new RoostError('ROOST_PAYLOAD_TOO_LARGE', 'a file is over the upload size limit');
    }
    throw error;
  }
  return { inputs, executionId };
}

/** Removes every file stored for an execution that was not created. */
export function discardFiles(deps: WebserverDeps, scope: ExecutionScope): Promise<void> {
  return deps.storage.deleteTree(formatStorageUri(executionSegments(scope)));
}

/** A FILE input given as a string may not point into internal storage: that would reach another execution's files. */
export function refuseStorageReferences(flow: Flow, inputs: Record<string, unknown>): void {
  for (const id of fileInputIds(flow)) {
    const value = inputs[id];
    if (typeof value === 'string' && value.startsWith(STORAGE_SCHEME)) {
      throw new RoostError(
        'ROOST_INPUT_INVALID',
        `input '${id}' (FILE): upload the file as multipart/form-data; a ${STORAGE_SCHEME} reference is not accepted`,
      );
    }
  }
}

export function executionFileRoutes(app: FastifyInstance, deps: WebserverDeps) {
  /** The execution and the URI asked for, refused unless the file belongs to that execution. */
  async function fileOf(id: string, path: string | undefined): Promise<string> {
    if (!path)
      throw new RoostError('ROOST_BAD_REQUEST', "query parameter 'path' (a kestra:/// URI) is required");
    const execution = await deps.repository.executions.get(id);
    if (!execution) throw new RoostError('ROOST_NOT_FOUND', `execution ${id} does not exist`);
    const scope = { namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id };
    if (!isUnder(path, executionSegments(scope))) {
      throw new RoostError('ROOST_FORBIDDEN', `${path.slice(0, 300)} is not a file of execution ${id}`);
    }
    return path;
  }

  app.get<{ Params: { id: string }; Querystring: { path?: string } }>(
    '/api/v1/executions/:id/file',
    { config: { access: 'viewer' } },
    async (request, reply) => {
      const uri = await fileOf(request.params.id, request.query.path);
      const file = await deps.storage.get(uri);
      const name = fileNameOf(uri);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .send(file.content);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { path?: string } }>(
    '/api/v1/executions/:id/file/metas',
    { config: { access: 'viewer' } },
    async (request) => {
      const uri = await fileOf(request.params.id, request.query.path);
      const file = await deps.storage.get(uri);
      file.content.destroy();
      return { path: uri, size: file.size };
    },
  );
}
