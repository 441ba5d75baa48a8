// How a problem in a flow document is reported: a stable code, the path in the document
// (`tasks[1].format`), and the line and column of the YAML source when known.
import { type ErrorCode, RoostError } from '../errors.ts';

export type PathSegment = string | number;
export type DocumentPath = readonly PathSegment[];

export interface FlowIssue {
  code: ErrorCode;
  /** a sentence a user can act on: what is wrong, where, and the line and column when known */
  message: string;
  /** where in the document, like `tasks[1].format` */
  path: string;
  line?: number;
  column?: number;
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** Finds where a path of the document was written (1-based line and column), if it was. */
export type Locate = (path: DocumentPath) => SourcePosition | undefined;

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/** `['tasks', 1, 'format']` reads `tasks[1].format`; odd keys are quoted: `labels["system.id"]`. */
export function formatPath(path: DocumentPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text || '(root)';
}

export function formatPosition(position: SourcePosition | undefined): string {
  return position ? ` (line ${position.line}, column ${position.column})` : '';
}

/** Gathers every problem of one document, in the order they are found. */
export class IssueCollector {
  readonly issues: FlowIssue[] = [];

  constructor(private readonly locate: Locate) {}

  /**
   * Records a problem. `message` names what is wrong and the path; the position of `at` (by default the
   * path itself, or its nearest written ancestor) is appended, or placed by `message` when it is a function.
   */
  add(
    code: ErrorCode,
    path: DocumentPath,
    message: string | ((here: string) => string),
    at: DocumentPath = path,
  ): void {
    const position = this.position(at);
    const here = formatPosition(position);
    const text = typeof message === 'function' ? message(here) : `${message}${here}`;
    const issue: FlowIssue = { code, message: text, path: formatPath(path) };
    if (position) {
      issue.line = position.line;
      issue.column = position.column;
    }
    this.issues.push(issue);
  }

  /** Where a path was written, falling back to its nearest ancestor that was. */
  position(path: DocumentPath): SourcePosition | undefined {
    for (let length = path.length; length >= 0; length--) {
      const found = this.locate(path.slice(0, length));
      if (found) return found;
    }
    return undefined;
  }

  get empty(): boolean {
    return this.issues.length === 0;
  }
}

/** The error `parseFlow` throws: the first issue's code and message, every issue in `details.issues`. */
export function issuesToError(issues: readonly FlowIssue[]): RoostError {
  const first = issues[0];
  if (!first) return new RoostError('ROOST_INTERNAL', 'flow validation failed without naming a problem');
  return new RoostError(first.code, first.message, { details: { issues } });
}

/** A value as a message shows it: short, and quoted when it is a string. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}
