// Builds the template tree from tokens: text, `{{ }}` output, and the `if`, `for`, `set` and `filter` tags.
import type { Expr, Node } from './ast.ts';
import type { Source } from './errors.ts';
import { parseArgs, parseExpression } from './parser.ts';
import { TokenStream } from './token-stream.ts';
import { tokenize, tokenizeExpression } from './tokenizer.ts';

interface Body {
  nodes: Node[];
  /** the tag that ended the body (its name is consumed, its `%}` is not) */
  end: string | undefined;
}

const UNSUPPORTED_TAGS = new Set(
  'macro include import from extends block embed parallel cache autoescape flush'.split(' '),
);

/** Parsed templates by text; trees are never mutated, so renders of the same text share one. */
const templateCache = new Map<string, Node[]>();
const TEMPLATE_CACHE_SIZE = 1_000;

export function parseTemplate(source: Source): Node[] {
  const cached = templateCache.get(source.text);
  if (cached) return cached;
  const stream = new TokenStream(tokenize(source), source);
  const nodes = parseBody(stream, []).nodes;
  if (templateCache.size >= TEMPLATE_CACHE_SIZE)
    templateCache.delete(templateCache.keys().next().value as string);
  templateCache.set(source.text, nodes);
  return nodes;
}

export function parseStandaloneExpression(source: Source): Expr {
  const stream = new TokenStream(tokenizeExpression(source), source);
  if (stream.peek().type === 'eof') stream.error(0, 'The expression is empty');
  const expr = parseExpression(stream);
  stream.expectType('eof', 'end of expression');
  return expr;
}

function parseBody(stream: TokenStream, endTags: string[], opener?: { name: string; offset: number }): Body {
  const nodes: Node[] = [];
  for (;;) {
    const token = stream.next();
    switch (token.type) {
      case 'text':
        nodes.push({ kind: 'text', text: token.value, offset: token.offset });
        break;
      case 'print_open': {
        if (stream.peek().type === 'print_close') stream.error(token.offset, 'Empty expression "{{ }}"');
        const expr = parseExpression(stream);
        stream.expectType('print_close', 'an operator or "}}"');
        nodes.push({ kind: 'print', expr, offset: token.offset });
        break;
      }
      case 'tag_open': {
        const name = stream.expectName('a tag name (if, for, set, ...)');
        if (endTags.includes(name.value)) return { nodes, end: name.value };
        nodes.push(parseTag(stream, name.value, token.offset));
        break;
      }
      case 'eof':
        if (opener) {
          stream.error(
            opener.offset,
            `Unclosed "${opener.name}" tag: expected ${endTags.map((t) => `{% ${t} %}`).join(' or ')}`,
          );
        }
        return { nodes, end: undefined };
      default:
        stream.error(token.offset, `Unexpected "${token.value}"`);
    }
  }
}

function endTag(stream: TokenStream): void {
  stream.expectType('tag_close', '"%}"');
}

function parseTag(stream: TokenStream, name: string, offset: number): Node {
  switch (name) {
    case 'if':
      return parseIf(stream, offset);
    case 'for':
      return parseFor(stream, offset);
    case 'set': {
      const target = stream.expectName('a variable name').value;
      stream.expectPunct('=');
      const value = parseExpression(stream);
      endTag(stream);
      return { kind: 'set', name: target, value, offset };
    }
    case 'filter':
      return parseFilterBlock(stream, offset);
    default:
      if (UNSUPPORTED_TAGS.has(name)) return stream.error(offset, `The "${name}" tag is not supported`);
      if (/^(end\w+|else|elseif)$/.test(name))
        return stream.error(offset, `Unexpected "{% ${name} %}" with no tag open`);
      return stream.error(offset, `Unknown tag "${name}"`);
  }
}

function parseIf(stream: TokenStream, offset: number): Node {
  const branches: Array<{ test: Expr; body: Node[] }> = [];
  let test = parseExpression(stream);
  endTag(stream);
  const opener = { name: 'if', offset };
  for (;;) {
    const body = parseBody(stream, ['elseif', 'else', 'endif'], opener);
    branches.push({ test, body: body.nodes });
    if (body.end === 'elseif') {
      test = parseExpression(stream);
      endTag(stream);
      continue;
    }
    if (body.end === 'else') {
      endTag(stream);
      const otherwise = parseBody(stream, ['endif'], opener);
      endTag(stream);
      return { kind: 'if', branches, otherwise: otherwise.nodes, offset };
    }
    endTag(stream);
    return { kind: 'if', branches, otherwise: [], offset };
  }
}

function parseFor(stream: TokenStream, offset: number): Node {
  const names = [stream.expectName('a loop variable').value];
  if (stream.acceptPunct(',')) names.push(stream.expectName('a second loop variable').value);
  if (!stream.isName('in')) stream.unexpected('expected "in"');
  stream.next();
  const iterable = parseExpression(stream);
  endTag(stream);
  const opener = { name: 'for', offset };
  const body = parseBody(stream, ['else', 'endfor'], opener);
  endTag(stream);
  let otherwise: Node[] = [];
  if (body.end === 'else') {
    otherwise = parseBody(stream, ['endfor'], opener).nodes;
    endTag(stream);
  }
  return { kind: 'for', names, iterable, body: body.nodes, otherwise, offset };
}

function parseFilterBlock(stream: TokenStream, offset: number): Node {
  const filters: Array<{ name: string; args: ReturnType<typeof parseArgs>; offset: number }> = [];
  do {
    const name = stream.expectName('a filter name');
    const args = stream.isPunct('(') ? parseArgs(stream) : { positional: [], named: [] };
    filters.push({ name: name.value, args, offset: name.offset });
  } while (stream.acceptPunct('|'));
  endTag(stream);
  const body = parseBody(stream, ['endfilter'], { name: 'filter', offset });
  endTag(stream);
  return { kind: 'filterBlock', filters, body: body.nodes, offset };
}
