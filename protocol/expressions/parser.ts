// Pratt parser for Pebble expressions, with Pebble's operator precedences (and Kestra's `??`/`???` at 120).
import type { Args, BinaryOperator, Expr } from './ast.ts';
import { describeToken, TokenStream } from './token-stream.ts';
import type { Token } from './tokenizer.ts';

const PRECEDENCE: Record<string, number> = {
  or: 10,
  and: 15,
  is: 20,
  contains: 20,
  in: 20,
  '==': 30,
  equals: 30,
  '!=': 30,
  '<': 30,
  '>': 30,
  '<=': 30,
  '>=': 30,
  '+': 40,
  '-': 40,
  '*': 60,
  '/': 60,
  '%': 60,
  '|': 100,
  '~': 110,
  '..': 120,
  '??': 120,
  '???': 120,
};
const WORD_OPERATORS = new Set(['or', 'and', 'is', 'contains', 'in', 'equals']);
const NOT_PRECEDENCE = 5;
const SIGN_PRECEDENCE = 500;
const CONSTANTS: Record<string, unknown> = { true: true, false: false, null: null, none: null };

function operatorOf(token: Token): string | undefined {
  if (token.type === 'punct' && token.value in PRECEDENCE) return token.value;
  if (token.type === 'name' && WORD_OPERATORS.has(token.value)) return token.value;
  return undefined;
}

export function parseExpression(stream: TokenStream, minPrecedence = 0): Expr {
  let left = parseUnary(stream);
  for (;;) {
    const token = stream.peek();
    const operator = operatorOf(token);
    if (operator === undefined) break;
    const precedence = PRECEDENCE[operator]!;
    if (precedence < minPrecedence) break;
    stream.next();
    const offset = token.offset;
    if (operator === '|') {
      const name = stream.expectName('a filter name').value;
      left = { kind: 'filter', name, input: left, args: parseOptionalArgs(stream), offset };
    } else if (operator === 'is') {
      const negated = stream.isName('not');
      if (negated) stream.next();
      const name = stream.expectName('a test name (defined, null, empty, ...)').value;
      left = { kind: 'test', name, negated, subject: left, args: parseOptionalArgs(stream), offset };
    } else if (operator === 'and' || operator === 'or') {
      const right = parseExpression(stream, precedence + 1);
      left = { kind: 'logical', operator, left, right, offset };
    } else if (operator === '??' || operator === '???') {
      const right = parseExpression(stream, precedence);
      left = { kind: 'coalesce', undefinedOnly: operator === '???', left, right, offset };
    } else {
      const right = parseExpression(stream, precedence + 1);
      const op = (operator === 'equals' ? '==' : operator) as BinaryOperator;
      left = { kind: 'binary', operator: op, left, right, offset };
    }
  }
  if (minPrecedence === 0 && stream.isPunct('?')) {
    const offset = stream.next().offset;
    const whenTrue = parseExpression(stream);
    stream.expectPunct(':');
    const whenFalse = parseExpression(stream);
    left = { kind: 'ternary', test: left, whenTrue, whenFalse, offset };
  }
  return left;
}

function parseUnary(stream: TokenStream): Expr {
  const token = stream.peek();
  if (token.type === 'name' && token.value === 'not') {
    stream.next();
    return {
      kind: 'unary',
      operator: 'not',
      operand: parseExpression(stream, NOT_PRECEDENCE),
      offset: token.offset,
    };
  }
  if (token.type === 'punct' && (token.value === '-' || token.value === '+')) {
    stream.next();
    const operand = parseExpression(stream, SIGN_PRECEDENCE);
    if (operand.kind === 'literal' && typeof operand.value === 'number') {
      return {
        kind: 'literal',
        value: token.value === '-' ? -operand.value : operand.value,
        offset: token.offset,
      };
    }
    return { kind: 'unary', operator: token.value, operand, offset: token.offset };
  }
  return parsePostfix(stream, parsePrimary(stream));
}

function parsePrimary(stream: TokenStream): Expr {
  const token = stream.next();
  const offset = token.offset;
  switch (token.type) {
    case 'number':
      return { kind: 'literal', value: Number(token.value), offset };
    case 'string':
      return token.parts
        ? parseInterpolation(stream, token)
        : { kind: 'literal', value: token.value, offset };
    case 'name':
      if (stream.isPunct('(')) return { kind: 'call', name: token.value, args: parseArgs(stream), offset };
      if (Object.hasOwn(CONSTANTS, token.value))
        return { kind: 'literal', value: CONSTANTS[token.value], offset };
      return { kind: 'name', name: token.value, offset };
    case 'punct':
      if (token.value === '(') {
        const inner = parseExpression(stream);
        stream.expectPunct(')');
        return inner;
      }
      if (token.value === '[') return parseList(stream, offset);
      if (token.value === '{') return parseMap(stream, offset);
      break;
    default:
      break;
  }
  return stream.error(
    offset,
    `Unexpected ${token.type === 'eof' ? 'end of input' : describeToken(token)}: expected an expression`,
  );
}

function parsePostfix(stream: TokenStream, start: Expr): Expr {
  let expr = start;
  for (;;) {
    const token = stream.peek();
    if (token.type !== 'punct') return expr;
    if (token.value === '.') {
      stream.next();
      const property = stream.next();
      if (property.type !== 'name' && !(property.type === 'number' && /^\d+$/.test(property.value))) {
        stream.error(property.offset, 'Expected an attribute name after "."');
      }
      if (stream.isPunct('('))
        stream.error(property.offset, `Method calls such as ".${property.value}()" are not supported`);
      const value = property.type === 'number' ? Number(property.value) : property.value;
      expr = {
        kind: 'member',
        object: expr,
        property: { kind: 'literal', value, offset: property.offset },
        offset: expr.offset,
      };
    } else if (token.value === '[') {
      stream.next();
      const property = parseExpression(stream);
      stream.expectPunct(']');
      expr = { kind: 'member', object: expr, property, offset: expr.offset };
    } else {
      return expr;
    }
  }
}

function parseList(stream: TokenStream, offset: number): Expr {
  const items: Expr[] = [];
  while (!stream.isPunct(']')) {
    items.push(parseExpression(stream));
    if (!stream.acceptPunct(',')) break;
  }
  stream.expectPunct(']');
  return { kind: 'list', items, offset };
}

function parseMap(stream: TokenStream, offset: number): Expr {
  const entries: Array<{ key: Expr; value: Expr }> = [];
  while (!stream.isPunct('}')) {
    const key = parseExpression(stream);
    stream.expectPunct(':');
    entries.push({ key, value: parseExpression(stream) });
    if (!stream.acceptPunct(',')) break;
  }
  stream.expectPunct('}');
  return { kind: 'map', entries, offset };
}

function parseInterpolation(stream: TokenStream, token: Token): Expr {
  const parts: Expr[] = (token.parts ?? []).map((part) => {
    if ('text' in part) return { kind: 'literal', value: part.text, offset: token.offset };
    const inner = new TokenStream(part.tokens, stream.source);
    const expr = parseExpression(inner);
    inner.expectType('eof', '"}" closing "#{"');
    return expr;
  });
  return { kind: 'interpolation', parts, offset: token.offset };
}

function parseOptionalArgs(stream: TokenStream): Args {
  return stream.isPunct('(') ? parseArgs(stream) : { positional: [], named: [] };
}

/** `(a, b, name=c)`: positional arguments first, then named ones. */
export function parseArgs(stream: TokenStream): Args {
  const args: Args = { positional: [], named: [] };
  stream.expectPunct('(');
  while (!stream.isPunct(')')) {
    if (stream.peek().type === 'name' && stream.isPunct('=', 1)) {
      const name = stream.next().value;
      stream.next();
      args.named.push({ name, value: parseExpression(stream) });
    } else {
      const token = stream.peek();
      const value = parseExpression(stream);
      if (args.named.length > 0)
        stream.error(token.offset, 'Positional arguments must come before named arguments');
      args.positional.push(value);
    }
    if (!stream.acceptPunct(',')) break;
  }
  stream.expectPunct(')');
  return args;
}
