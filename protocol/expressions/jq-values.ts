// jq's view of values (truthiness, type names, its total order, arithmetic, containment) and the shape that
// builtins are written in.
import { FailureKind, fail } from './errors.ts';
import type { JqNode } from './jq-syntax.ts';
import { buildMap, isMap, mapEntries, ownValue, typeName, valuesEqual } from './values.ts';

const JQ_ORDER = ['null', 'boolean', 'number', 'string', 'list', 'map'];

export function jqTruthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

/** jq's total order: null < false < true < numbers < strings < arrays < objects. */
export function jqCompare(a: unknown, b: unknown): number {
  const ta = JQ_ORDER.indexOf(typeName(a));
  const tb = JQ_ORDER.indexOf(typeName(b));
  if (ta !== tb) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = jqCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isMap(a) && isMap(b)) {
    const keys = jqCompare(Object.keys(a).sort(), Object.keys(b).sort());
    if (keys !== 0) return keys;
    for (const key of Object.keys(a).sort()) {
      const c = jqCompare(ownValue(a, key), ownValue(b, key));
      if (c !== 0) return c;
    }
  }
  return 0;
}

const JQ_TYPES: Record<string, string> = { list: 'array', map: 'object' };
export const jqType = (v: unknown): string => JQ_TYPES[typeName(v)] ?? typeName(v);
export const jqFail = (what: string, v: unknown): never =>
  fail(FailureKind.TYPE, `jq: ${what} cannot be applied to ${jqType(v)}`);

export function jqItems(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMap(v)) return mapEntries(v).map(([, x]) => x);
  return jqFail(what, v);
}
export function jqList(v: unknown, what: string): unknown[] {
  return Array.isArray(v) ? v : jqFail(what, v);
}
export function jqText(v: unknown, what: string): string {
  return typeof v === 'string' ? v : jqFail(what, v);
}

/** jq's `+ - * / %` on numbers, strings, arrays and objects (`null + x` is x). */
export function jqArithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op === '+') {
    if (a === null) return b;
    if (b === null) return a;
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (isMap(a) && isMap(b)) return buildMap([...mapEntries(a), ...mapEntries(b)]);
  } else if (op === '-') {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (Array.isArray(a) && Array.isArray(b)) return a.filter((x) => !b.some((y) => valuesEqual(x, y)));
  } else if (typeof a === 'number' && typeof b === 'number') {
    if ((op === '/' || op === '%') && b === 0) fail(FailureKind.TYPE, 'jq: division by zero');
    if (op === '*') return a * b;
    if (op === '/') return a / b;
    if (op === '%') return Math.trunc(a) % Math.trunc(b);
  } else if (op === '/' && typeof a === 'string' && typeof b === 'string') {
    return a.split(b);
  }
  return fail(FailureKind.TYPE, `jq: cannot apply "${op}" to ${typeName(a)} and ${typeName(b)}`);
}

/** jq's contains: substrings for strings, recursive containment for arrays and objects. */
export function jqContains(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
  if (Array.isArray(a) && Array.isArray(b)) return b.every((y) => a.some((x) => jqContains(x, y)));
  if (isMap(a) && isMap(b)) {
    return Object.keys(b).every((k) => Object.hasOwn(a, k) && jqContains(ownValue(a, k), ownValue(b, k)));
  }
  if (jqType(a) !== jqType(b)) return jqFail('contains', b);
  return valuesEqual(a, b);
}

export type Env = ReadonlyMap<string, unknown>;
export interface JqRuntime {
  run(node: JqNode, input: unknown, env: Env): unknown[];
  /** charges the evaluation budget */
  step(count: number): void;
}
export type Builtin = (rt: JqRuntime, input: unknown, args: JqNode[], env: Env) => unknown[];

export const first = (rt: JqRuntime, node: JqNode, input: unknown, env: Env): unknown =>
  rt.run(node, input, env)[0];
export const unary =
  (f: (input: unknown) => unknown): Builtin =>
  (_rt, input) => [f(input)];
export const withArg =
  (f: (input: unknown, arg: unknown) => unknown): Builtin =>
  (rt, input, args, env) =>
    rt.run(args[0]!, input, env).map((arg) => f(input, arg));
