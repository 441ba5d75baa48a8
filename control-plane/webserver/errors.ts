// Maps Roost errors to HTTP statuses and bodies; anything unexpected is a 500 that leaks no detail.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, RoostError } from '../../protocol/index.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ROOST_BAD_REQUEST: 400,
  ROOST_UNAUTHORIZED: 401,
  ROOST_FORBIDDEN: 403,
  ROOST_NOT_FOUND: 404,
  ROOST_CONFLICT: 409,
  ROOST_PAYLOAD_TOO_LARGE: 413,
  ROOST_FLOW_YAML: 422,
  ROOST_FLOW_INVALID: 422,
  ROOST_FLOW_UNKNOWN_TYPE: 422,
  ROOST_FLOW_DUPLICATE_ID: 422,
  ROOST_INPUT_INVALID: 422,
  ROOST_EXPRESSION: 422,
};

export function errorHandler(error: FastifyError | RoostError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RoostError) {
    const status = STATUS[error.code] ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).send(error.toJSON());
  }
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return reply
      .status(500)
      .send({ code: 'ROOST_INTERNAL', message: 'internal error; see the server log', retryable: true });
  }
  const code: ErrorCode =
    status === 413 ? 'ROOST_PAYLOAD_TOO_LARGE' : status === 404 ? 'ROOST_NOT_FOUND' : 'ROOST_BAD_REQUEST';
  const message =
    status === 413
      ? `the request body is over the limit of ${request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit} bytes`
      : error.message;
  return reply.status(status).send({ code, message, retryable: false });
}
