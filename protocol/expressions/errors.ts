// ExpressionError and the helpers that turn a failure at a template offset into a message a flow author can act on.
import { RoostError } from '../errors.ts';

/** What kind of failure an expression hit; kept in `details.kind` so callers can tell them apart. */
export const FailureKind = {
  SYNTAX: 'syntax',
  MISSING: 'missing',
  TYPE: 'type',
  BUDGET: 'budget',
  HOST: 'host',
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

export interface ExpressionErrorDetails {
  kind: FailureKind;
  reason: string;
  line: number;
  column: number;
  where?: string;
}

export class ExpressionError extends RoostError {
  declare readonly details: ExpressionErrorDetails;

  constructor(
    message: string,
    options: { details?: ExpressionErrorDetails; cause?: unknown; retryable?: boolean } = {},
  ) {
    const details = options.details ?? { kind: FailureKind.TYPE, reason: message, line: 0, column: 0 };
    super('ROOST_EXPRESSION', message, { ...options, details });
    this.name = 'ExpressionError';
  }

  get kind(): FailureKind {
    return this.details.kind;
  }
}

/**
 * A failure raised where the template position is not known (inside a filter or a value helper).
 * The evaluator turns it into an ExpressionError at the position of the node it was evaluating.
 */
export class Failure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, reason: string, options: { cause?: unknown } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
  }
}

/** The template being evaluated, for positions in error messages. */
export interface Source {
  text: string;
  where?: string | undefined;
}

const EXCERPT_WIDTH = 80;

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function excerpt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const endAt = text.indexOf('\n', offset);
  const lineText = text.slice(start, endAt === -1 ? text.length : endAt);
  if (lineText.length <= EXCERPT_WIDTH) return lineText;
  const column = offset - start;
  const from = Math.max(0, Math.min(column - EXCERPT_WIDTH / 2, lineText.length - EXCERPT_WIDTH));
  return `${from > 0 ? '…' : ''}${lineText.slice(from, from + EXCERPT_WIDTH)}${from + EXCERPT_WIDTH < lineText.length ? '…' : ''}`;
}

export function expressionError(
  source: Source,
  offset: number,
  kind: FailureKind,
  reason: string,
  options: { cause?: unknown; retryable?: boolean } = {},
): ExpressionError {
  const { line, column } = lineAndColumn(source.text, offset);
  const prefix = source.where ? `${source.where}: ` : '';
  const message = `${prefix}${reason} (line ${line}, column ${column} of "${excerpt(source.text, offset)}")`;
  const details: ExpressionErrorDetails = { kind, reason, line, column };
  if (source.where !== undefined) details.where = source.where;
  return new ExpressionError(message, { details, ...options });
}

/** Wraps any error thrown while evaluating the node at `offset`; ExpressionErrors pass through unchanged. */
export function positioned(source: Source, offset: number, error: unknown): ExpressionError {
  if (error instanceof ExpressionError) return error;
  if (error instanceof Failure) {
    const retryable = error.cause instanceof RoostError ? error.cause.retryable : false;
    return expressionError(source, offset, error.kind, error.message, { cause: error, retryable });
  }
  if (error instanceof RoostError) {
    return expressionError(source, offset, FailureKind.HOST, error.message, {
      cause: error,
      retryable: error.retryable,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return expressionError(source, offset, FailureKind.TYPE, reason, { cause: error });
}

export function fail(kind: FailureKind, reason: string): never {
  throw new Failure(kind, reason);
}
