// Reads a flow's YAML source safely: size limit, alias limit, exactly one document that is a mapping,
// and a way back from a path in the document to the line and column it was written at.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { ErrorCode } from '../errors.ts';
import type { DocumentPath, FlowIssue, Locate, SourcePosition } from './issues.ts';

export const DEFAULT_MAX_FLOW_BYTES = 1024 * 1024;
/** Aliases are legitimate in flows, but a few dozen suffice; thousands mean an expansion bomb. */
export const MAX_ALIAS_COUNT = 100;

export type LoadedSource =
  | { ok: true; value: Record<string, unknown>; locate: Locate }
  | { ok: false; issue: FlowIssue };

function failure(code: ErrorCode, message: string, position?: SourcePosition): LoadedSource {
  return { ok: false, issue: { code, message, path: '(root)', ...position } };
}

export function loadFlowSource(source: string, maxBytes = DEFAULT_MAX_FLOW_BYTES): LoadedSource {
  const size = Buffer.byteLength(source, 'utf8');
  if (size > maxBytes) {
    return failure(
      'ROOST_PAYLOAD_TOO_LARGE',
      `flow source is ${size} bytes, over the limit of ${maxBytes} bytes`,
    );
  }
  const lines = new LineCounter();
  const documents = parseAllDocuments(source, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    merge: true,
  });
  if (!Array.isArray(documents) || documents.length === 0) {
    return failure(
      'ROOST_FLOW_INVALID',
      'flow source is empty: expected a mapping with id, namespace and tasks',
    );
  }
  const [document] = documents;
  if (documents.length > 1 || !document) {
    const { line, col } = lines.linePos(documents[1]?.range[0] ?? 0);
    return failure(
      'ROOST_FLOW_YAML',
      `flow source holds several YAML documents (the second starts at line ${line}); a flow is exactly one`,
      {
        line,
        column: col,
      },
    );
  }
  const error = document.errors[0];
  if (error) {
    const position = lines.linePos(error.pos[0]);
    const at = `line ${position.line}, column ${position.col}`;
    return failure(
      'ROOST_FLOW_YAML',
      `invalid YAML at ${at}: ${yamlProblem(error.code, error.message, source, error.pos[0])}`,
      {
        line: position.line,
        column: position.col,
      },
    );
  }
  if (!isMap(document.contents)) {
    const what =
      document.contents === null ? 'empty' : isSeq(document.contents) ? 'a list' : 'a single value';
    return failure(
      'ROOST_FLOW_INVALID',
      `flow source is ${what}: expected a mapping with id, namespace and tasks`,
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    return failure('ROOST_FLOW_YAML', `flow source cannot be read: ${(cause as Error).message}`);
  }
  const root = document.contents;
  const locate: Locate = (path) => {
    const range = findRange(root, path, document);
    if (range === undefined) return undefined;
    const { line, col } = lines.linePos(range);
    return { line, column: col };
  };
  return { ok: true, value: value as Record<string, unknown>, locate };
}

/** The yaml package's message without its own position suffix; duplicate keys are named. */
function yamlProblem(code: string, message: string, source: string, offset: number): string {
  if (code === 'DUPLICATE_KEY') {
    const key = /^\s*("[^"]*"|'[^']*'|[^:\n]+?)\s*:/.exec(source.slice(offset))?.[1];
    return key
      ? `duplicate key ${key.startsWith('"') || key.startsWith("'") ? key : `'${key}'`}`
      : 'duplicate key';
  }
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

/** The source offset where a path was written: the key of a mapping entry, or the item of a list. */
function findRange(root: Node, path: DocumentPath, document: Document): number | undefined {
  let node: Node | undefined = root;
  let offset = root.range?.[0];
  for (const segment of path) {
    if (node && isAlias(node)) node = node.resolve(document);
    if (!node) return undefined;
    if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      node = item && typeof item === 'object' && 'range' in item ? (item as Node) : undefined;
      offset = node?.range?.[0];
    } else if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return undefined;
      offset = (pair.key as Node).range?.[0];
      node = (pair.value as Node | null) ?? undefined;
    } else {
      return undefined;
    }
  }
  return offset;
}
