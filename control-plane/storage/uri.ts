// Internal storage URIs, Kestra's layout: kestra:///{namespace as a path}/{flowId}/executions/{executionId}/...
// Parsing is strict, so no URI can name a path outside the storage root.
import { RoostError } from '../../protocol/errors.ts';

export const STORAGE_SCHEME = 'kestra://';
const MAX_URI_LENGTH = 2048;
const MAX_SEGMENT_LENGTH = 255;

/** A segment is a file or directory name: not empty, not `.` or `..`, no separator or control character. */
export function isSafeSegment(segment: string): boolean {
  return (
    segment.length > 0 &&
    segment.length <= MAX_SEGMENT_LENGTH &&
    segment !== '.' &&
    segment !== '..' &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    !/[/\\\u0000-\u001f\u007f]/.test(segment)
  );
}

const badUri = (uri: string, why: string) =>
  new RoostError('ROOST_BAD_REQUEST', `'${uri.slice(0, 200)}' is not an internal storage URI: ${why}`);

/** The path segments of a `kestra:///a/b/c` URI (percent-decoded), or a ROOST_BAD_REQUEST error saying why not. */
export function parseStorageUri(uri: string): string[] {
  if (typeof uri !== 'string') throw badUri(String(uri), 'it is not a string');
  if (uri.length > MAX_URI_LENGTH) throw badUri(uri, `it is longer than ${MAX_URI_LENGTH} characters`);
  if (!uri.startsWith(`${STORAGE_SCHEME}/`)) throw badUri(uri, 'it must start with kestra:///');
  const raw = uri.slice(STORAGE_SCHEME.length + 1).split('/');
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      throw badUri(uri, `'${part}' is not valid percent-encoding`);
    }
    if (!isSafeSegment(segment)) throw badUri(uri, `'${segment}' is not an allowed path segment`);
    segments.push(segment);
  }
  return segments;
}

/** Builds a URI from segments, each checked and percent-encoded where needed. */
export function formatStorageUri(segments: readonly string[]): string {
  for (const segment of segments) {
    if (!isSafeSegment(segment)) {
      throw new RoostError('ROOST_BAD_REQUEST', `'${segment}' is not an allowed storage path segment`);
    }
  }
  return `${STORAGE_SCHEME}/${segments.map(encodeSegment).join('/')}`;
}

/** Encodes what a URI cannot hold as is (spaces, %, ?, #), keeping names readable. */
function encodeSegment(segment: string): string {
  return segment.replace(/[%?#\s]/g, (c) => encodeURIComponent(c));
}

/** What identifies an execution's files. */
export interface ExecutionScope {
  namespace: string;
  flowId: string;
  executionId: string;
}

/** The segments under which every file of an execution lies. */
export function executionSegments(scope: ExecutionScope): string[] {
  return [...scope.namespace.split('.'), scope.flowId, 'executions', scope.executionId];
}

/** Where a task run's files go: .../executions/{executionId}/tasks/{taskId}/{taskRunId}. */
export function taskRunSegments(scope: ExecutionScope, taskId: string, taskRunId: string): string[] {
  return [...executionSegments(scope), 'tasks', taskId, taskRunId];
}

/** The URI of a FILE input: .../executions/{executionId}/inputs/{inputName}/{fileName}. */
export function inputFileUri(scope: ExecutionScope, inputName: string, fileName: string): string {
  return formatStorageUri([...executionSegments(scope), 'inputs', inputName, fileName]);
}

/** The URI of a file a task run produced; `name` may hold subdirectories (a/b.txt). */
export function taskRunFileUri(
  scope: ExecutionScope,
  taskId: string,
  taskRunId: string,
  name: string,
): string {
  return formatStorageUri([...taskRunSegments(scope, taskId, taskRunId), ...name.split('/')]);
}

/** Whether `uri` names a file strictly under the directory `prefix` (segments compared, never strings). */
export function isUnder(uri: string, prefix: readonly string[]): boolean {
  let segments: string[];
  try {
    segments = parseStorageUri(uri);
  } catch {
    return false;
  }
  return segments.length > prefix.length && prefix.every((segment, i) => segments[i] === segment);
}

/** The last segment: the file's name. */
export function fileNameOf(uri: string): string {
  return parseStorageUri(uri).at(-1) ?? '';
}
