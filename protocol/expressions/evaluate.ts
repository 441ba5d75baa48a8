// Evaluates expression nodes. Strict by default, as Kestra: an undefined variable or attribute fails, except on
// the left of `??`/`???`, under `default`, and in the `defined`/`null` tests, which see it as undefined.
import type { Args, Expr } from './ast.ts';
import { describe } from './ast.ts';
import { type BoundArgs, bindArgs } from './callables.ts';
import { ExpressionError, Failure, FailureKind, fail, positioned } from './errors.ts';
import { contentsHint, type Evaluation, keysHint } from './evaluation.ts';
import { FILTERS } from './filters/index.ts';
import { FUNCTIONS } from './functions.ts';
import { LENIENT_TESTS, TESTS } from './is-tests.ts';
import { applyBinary } from './operators.ts';
import {
  aTypeName,
  buildMap,
  getAttribute,
  isEmpty,
  isTruthy,
  MISSING,
  type Missing,
  toNumber,
  toText,
} from './values.ts';

export function evaluateExpr(ev: Evaluation, expr: Expr): unknown {
  ev.step();
  try {
    return evaluateNode(ev, expr);
  } catch (error) {
    throw positioned(ev.source, expr.offset, error);
  }
}

/** Evaluates `expr`, returning MISSING instead of failing when something it reads is undefined. */
export function evaluateLenient(ev: Evaluation, expr: Expr): unknown | Missing {
  try {
    if (expr.kind === 'name' || expr.kind === 'member') {
      ev.step();
      return access(ev, expr, true);
    }
    return evaluateExpr(ev, expr);
  } catch (error) {
    if (isMissingFailure(error)) return MISSING;
    throw positioned(ev.source, expr.offset, error);
  }
}

function isMissingFailure(error: unknown): boolean {
  return (error instanceof ExpressionError || error instanceof Failure) && error.kind === FailureKind.MISSING;
}

function evaluateNode(ev: Evaluation, expr: Expr): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'name':
    case 'member':
      return access(ev, expr, false);
    case 'list':
      return expr.items.map((item) => evaluateExpr(ev, item));
    case 'map':
      return buildMap(
        expr.entries.map((entry) => [mapKey(evaluateExpr(ev, entry.key)), evaluateExpr(ev, entry.value)]),
      );
    case 'unary': {
      const operand = evaluateExpr(ev, expr.operand);
      if (expr.operator === 'not') return !isTruthy(operand);
      const n = toNumber(operand, `Unary "${expr.operator}"`);
      return expr.operator === '-' ? -n : n;
    }
    case 'binary': {
      const result = applyBinary(
        expr.operator,
        evaluateExpr(ev, expr.left),
        evaluateExpr(ev, expr.right),
        (n) => ev.step(n),
      );
      ev.checkSize(result);
      return result;
    }
    case 'logical': {
      const left = isTruthy(evaluateExpr(ev, expr.left));
      if (expr.operator === 'and') return left && isTruthy(evaluateExpr(ev, expr.right));
      return left || isTruthy(evaluateExpr(ev, expr.right));
    }
    case 'coalesce': {
      const left = evaluateLenient(ev, expr.left);
      const useRight = left === MISSING || (!expr.undefinedOnly && (left === null || left === undefined));
      return useRight ? evaluateExpr(ev, expr.right) : left;
    }
    case 'ternary':
      return isTruthy(evaluateExpr(ev, expr.test))
        ? evaluateExpr(ev, expr.whenTrue)
        : evaluateExpr(ev, expr.whenFalse);
    case 'interpolation': {
      const text = expr.parts.map((part) => toText(evaluateExpr(ev, part))).join('');
      ev.checkSize(text);
      return text;
    }
    case 'filter':
      return applyFilter(ev, expr);
    case 'call':
      return callFunction(ev, expr);
    case 'test':
      return applyTest(ev, expr);
  }
}

function mapKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean') return toText(key);
  return fail(FailureKind.TYPE, `A map key must be a string or a number, got ${aTypeName(key)}`);
}

type AccessExpr = Extract<Expr, { kind: 'name' | 'member' }>;

function access(ev: Evaluation, expr: AccessExpr, lenient: boolean): unknown | Missing {
  if (expr.kind === 'name') {
    const value = ev.lookup(expr.name);
    if (value === MISSING && !lenient) {
      fail(FailureKind.MISSING, `Missing variable: '${expr.name}' (${keysHint(ev.rootNames())})`);
    }
    return value;
  }
  const object = expr.object;
  const base =
    object.kind === 'name' || object.kind === 'member'
      ? access(ev, object, lenient)
      : lenient
        ? evaluateLenient(ev, object)
        : evaluateExpr(ev, object);
  if (base === MISSING) return MISSING;
  const key = evaluateExpr(ev, expr.property);
  if (base === null || base === undefined) {
    if (lenient) return MISSING;
    return fail(FailureKind.MISSING, `Missing variable: '${describe(expr)}' ('${describe(object)}' is null)`);
  }
  const value = getAttribute(base, key);
  if (value === MISSING && !lenient) {
    fail(FailureKind.MISSING, `Missing variable: '${describe(expr)}' (${contentsHint(base)})`);
  }
  return value;
}

function evaluateArgs(ev: Evaluation, params: readonly string[], args: Args, what: string): BoundArgs {
  const positional = args.positional.map((arg) => evaluateExpr(ev, arg));
  const named = args.named.map(({ name, value }) => ({ name, value: evaluateExpr(ev, value) }));
  return bindArgs(params, positional, named, what);
}

function applyFilter(ev: Evaluation, expr: Extract<Expr, { kind: 'filter' }>): unknown {
  const filter = FILTERS.get(expr.name);
  if (!filter) return fail(FailureKind.SYNTAX, `Unknown filter '${expr.name}'`);
  const what = `The filter '${expr.name}'`;
  if (expr.name === 'default') {
    const input = evaluateLenient(ev, expr.input);
    const args = evaluateArgs(ev, filter.params, expr.args, what);
    return input === MISSING || isEmpty(input) ? (args.default ?? null) : input;
  }
  const input = evaluateExpr(ev, expr.input);
  const args = evaluateArgs(ev, filter.params, expr.args, what);
  const result = guardHost(() => filter.apply(input, args, ev.callContext()));
  ev.checkSize(result);
  return result;
}

function callFunction(ev: Evaluation, expr: Extract<Expr, { kind: 'call' }>): unknown {
  const fn = FUNCTIONS.get(expr.name);
  if (!fn) return fail(FailureKind.SYNTAX, `Unknown function '${expr.name}'`);
  const args = evaluateArgs(ev, fn.params, expr.args, `The function '${expr.name}'`);
  const result = guardHost(() => fn.apply(args, ev.callContext()));
  ev.checkSize(result);
  return result;
}

/** Lets Roost errors through unchanged and turns unexpected JS errors into type failures. */
function guardHost<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof Failure || error instanceof ExpressionError) throw error;
    if (error instanceof RangeError)
      throw new Failure(FailureKind.BUDGET, `Evaluation ran out of room: ${error.message}`);
    throw error;
  }
}

function applyTest(ev: Evaluation, expr: Extract<Expr, { kind: 'test' }>): boolean {
  const test = TESTS.get(expr.name);
  if (!test) return fail(FailureKind.SYNTAX, `Unknown test '${expr.name}'`);
  const subject = LENIENT_TESTS.has(expr.name)
    ? evaluateLenient(ev, expr.subject)
    : evaluateExpr(ev, expr.subject);
  const args = evaluateArgs(ev, test.params, expr.args, `The test '${expr.name}'`);
  const result = test.apply(subject, args);
  return expr.negated ? !result : result;
}
