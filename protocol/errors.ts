// Roost's error type and its registry of stable codes. Errors cross the wire as plain objects.

/** Every code Roost raises, with the sentence that documents it (a test checks each code is here). */
export const ERROR_CODES = {
  ROOST_BAD_REQUEST: 'The request is malformed; the message names the field.',
  ROOST_NOT_FOUND: 'The named flow, execution or other resource does not exist.',
  ROOST_CONFLICT: 'The request conflicts with the current state of the resource.',
  ROOST_UNAUTHORIZED: 'Credentials are missing, wrong, revoked or expired.',
  ROOST_FORBIDDEN:
    'The credentials are valid but may not do this: a role too weak (the message names the role needed), or an agent reaching beyond its lease.',
  ROOST_PAYLOAD_TOO_LARGE: 'A body, document or message is over its size limit.',
  ROOST_FLOW_YAML: 'The flow source is not valid YAML; the message gives line and column.',
  ROOST_FLOW_INVALID: 'The flow does not match the flow model; the message gives the path in the document.',
  ROOST_FLOW_UNKNOWN_TYPE: 'A task or trigger names a type Roost does not provide.',
  ROOST_FLOW_DUPLICATE_ID: 'Two tasks in one flow share an id.',
  ROOST_INPUT_INVALID: 'An execution input is missing or breaks its rule; no execution was created.',
  ROOST_EXPRESSION: 'An expression could not be parsed or evaluated; the message names it.',
  ROOST_TASK_FAILED: 'A task ended in failure; the message says why.',
  ROOST_AGENT_LOST: 'The agent running the task stopped answering before its lease ran out.',
  ROOST_NO_AGENT: 'No live agent of the worker group could take the task.',
  ROOST_PROTOCOL: 'A message between agent and control plane broke the protocol.',
  ROOST_LEASE_MISMATCH: 'A result did not match the current lease of its job (agent, job, attempt).',
  ROOST_CONFIG: 'A configuration value is missing or invalid.',
  ROOST_JOB_REFUSED: 'An agent refused the job (its before-job hook failed); the job goes to another agent.',
  ROOST_HOOK_FAILED: 'An agent hook (start) failed, so the agent did not start; the message says how.',
  ROOST_INTERNAL: 'An unexpected failure inside Roost; the logs hold the detail.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorObject {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: unknown;
}

export class RoostError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RoostError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): ErrorObject {
    const out: ErrorObject = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }

  static from(error: unknown): RoostError {
    if (error instanceof RoostError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new RoostError('ROOST_INTERNAL', message, { cause: error });
  }
}
