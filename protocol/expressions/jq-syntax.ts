// The syntax of the jq subset: its syntax tree, and the lexer that splits an expression into tokens (fields
// `.name`, variables `$x`, identifiers, numbers, strings, operators).
import { FailureKind, fail } from './errors.ts';

export type JqNode =
  | { t: 'identity' }
  | { t: 'recurse' }
  | { t: 'field'; target: JqNode; name: string }
  | { t: 'index'; target: JqNode; index: JqNode }
  | { t: 'slice'; target: JqNode; from: JqNode | undefined; to: JqNode | undefined }
  | { t: 'iterate'; target: JqNode }
  | { t: 'optional'; body: JqNode }
  | { t: 'literal'; value: unknown }
  | { t: 'array'; body: JqNode | undefined }
  | { t: 'object'; entries: Array<{ key: JqNode; value: JqNode }> }
  | { t: 'pipe' | 'comma' | 'and' | 'or' | 'alt'; left: JqNode; right: JqNode }
  | { t: 'binary'; op: string; left: JqNode; right: JqNode }
  | { t: 'neg'; body: JqNode }
  | { t: 'call'; name: string; args: JqNode[] }
  | { t: 'var'; name: string }
  | { t: 'bind'; source: JqNode; name: string; body: JqNode }
  | { t: 'reduce'; source: JqNode; name: string; init: JqNode; update: JqNode }
  | { t: 'if'; branches: Array<{ cond: JqNode; body: JqNode }>; otherwise: JqNode | undefined };

export type JqToken = { k: 'op' | 'ident' | 'field' | 'var' | 'num' | 'str' | 'end'; v: string };

const OPS = [
  '..',
  '!=',
  '==',
  '<=',
  '>=',
  '//',
  '.',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  '|',
  ',',
  ':',
  ';',
  '?',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

export function lexJq(source: string): JqToken[] {
  const out: JqToken[] = [];
  let i = 0;
  const bad = (reason: string): never => fail(FailureKind.SYNTAX, `jq expression '${source}': ${reason}`);
  while (i < source.length) {
    const rest = source.slice(i);
    const ch = rest[0]!;
    if (/\s/.test(ch)) i++;
    else if (ch === '#') i = source.includes('\n', i) ? source.indexOf('\n', i) : source.length;
    else if (ch === '"') {
      let j = i + 1;
      let value = '';
      while (j < source.length && source[j] !== '"') {
        if (source[j] === '\\') {
          const e = source[j + 1] ?? '';
          value +=
            e === 'n'
              ? '\n'
              : e === 't'
                ? '\t'
                : e === '('
                  ? bad('string interpolation is not supported')
                  : e;
          j += 2;
        } else value += source[j++];
      }
      if (j >= source.length) bad('unclosed string');
      out.push({ k: 'str', v: value });
      i = j + 1;
    } else if (/\d/.test(ch)) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest)!;
      out.push({ k: 'num', v: m[0] });
      i += m[0].length;
    } else if (ch === '$' && IDENT.test(rest.slice(1))) {
      const name = IDENT.exec(rest.slice(1))![0];
      out.push({ k: 'var', v: name });
      i += name.length + 1;
    } else if (ch === '.' && IDENT.test(rest.slice(1))) {
      const name = IDENT.exec(rest.slice(1))![0];
      out.push({ k: 'field', v: name });
      i += name.length + 1;
    } else if (IDENT.test(rest)) {
      const name = IDENT.exec(rest)![0];
      out.push({ k: 'ident', v: name });
      i += name.length;
    } else {
      const op = OPS.find((o) => rest.startsWith(o));
      if (!op) bad(`unexpected character '${ch}'`);
      out.push({ k: 'op', v: op! });
      i += op!.length;
    }
  }
  out.push({ k: 'end', v: '' });
  return out;
}
