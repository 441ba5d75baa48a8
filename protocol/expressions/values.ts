// The value model: what templates may read (plain objects, arrays, scalars, dates), sandboxed attribute access,
// and the conversions Pebble applies when it prints, compares and tests values.
import { FailureKind, fail } from './errors.ts';

/** Marks an undefined variable or attribute while evaluating leniently (under `??`, `default`, `is defined`). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

export type Dict = Record<string, unknown>;

export function isMap(value: unknown): value is Dict {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (isMap(value)) return 'map';
  if (value instanceof Date) return 'date';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** The type with its article, for messages: `a string`, `an object`, `null`. */
export function aTypeName(value: unknown): string {
  const name = typeName(value);
  return name === 'null' ? 'null' : /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** Reads an own data property of a plain object or an element of an array, never a prototype or a getter. */
export function getAttribute(target: unknown, key: unknown): unknown | Missing {
  if (Array.isArray(target)) {
    const index = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key;
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      return fail(FailureKind.TYPE, `A list is indexed by an integer, not by ${describeKey(key)}`);
    }
    return index >= 0 && index < target.length ? target[index] : MISSING;
  }
  if (isMap(target)) {
    if (typeof key !== 'string' && typeof key !== 'number') {
      return fail(FailureKind.TYPE, `A map is indexed by a string, not by ${aTypeName(key)}`);
    }
    const descriptor = Object.getOwnPropertyDescriptor(target, String(key));
    return descriptor && 'value' in descriptor ? descriptor.value : MISSING;
  }
  return fail(FailureKind.TYPE, `Cannot read attribute ${describeKey(key)} of ${aTypeName(target)}`);
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : typeof key === 'number' ? String(key) : aTypeName(key);
}

/** Formats a number as Java prints a Long or a Double: `3`, `1.5`, `1.0E7`. */
export function javaNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 9.2e18) {
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) return String(value);
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/** What `{{ value }}` prints: null as '', maps and lists as compact JSON, numbers as Java does. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return javaNumber(value);
    case 'bigint':
      return value.toString();
    default:
      if (value instanceof Date) return value.toISOString();
      return toJson(value);
  }
}

/** Compact JSON, as Kestra prints maps and lists (and as `toJson` returns). */
export function toJson(value: unknown): string {
  const seen = new Set<object>();
  const prepare = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v) || isMap(v)) {
      if (seen.has(v)) fail(FailureKind.TYPE, 'Cannot convert a value that contains itself to JSON');
      seen.add(v);
      const out = Array.isArray(v)
        ? v.map(prepare)
        : buildMap(mapEntries(v).map(([key, item]) => [key, prepare(item)] as const));
      seen.delete(v);
      return out;
    }
    return fail(FailureKind.TYPE, `Cannot convert ${aTypeName(v)} to text`);
  };
  return JSON.stringify(prepare(value)) ?? 'null';
}

/** An own data property of a map, or undefined; never reads the prototype or runs a getter. */
export function ownValue(map: Dict, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(map, key);
  return descriptor && 'value' in descriptor ? descriptor.value : undefined;
}

/** Own enumerable entries of a map, in insertion order. */
export function mapEntries(map: Dict): Array<[string, unknown]> {
  return Object.keys(map).map((key) => [key, ownValue(map, key)]);
}

/** A plain object built without ever invoking the `__proto__` setter. */
export function buildMap(entries: Iterable<readonly [string, unknown]>): Dict {
  const map: Dict = {};
  for (const [key, value] of entries) {
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
}

/** Truthiness for `if`, `and`, `or`, `not` and `? :`. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value !== '' && value.toLowerCase() !== 'false';
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Pebble's `empty`: null, '', an empty list or an empty map. */
export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return false;
}

/** `==`: numbers by value, lists and maps deeply, everything else strictly. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => valuesEqual(item, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && valuesEqual(ownValue(a, k), ownValue(b, k)))
    );
  }
  return a === b;
}

export function isNumeric(value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

/** Ordering for `<`, `>`, `sort`, `max`: numbers with numbers, strings with strings, dates with dates. */
export function compareValues(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return fail(FailureKind.TYPE, `Cannot compare ${aTypeName(a)} with ${aTypeName(b)}`);
}

export function toNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return fail(FailureKind.TYPE, `${what} expects a number, got ${aTypeName(value)}`);
}

export function toInteger(value: unknown, what: string): number {
  const n = toNumber(value, what);
  if (!Number.isInteger(n)) fail(FailureKind.TYPE, `${what} expects an integer, got ${javaNumber(n)}`);
  return n;
}

export function toStringArg(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined)
    return fail(FailureKind.TYPE, `${what} expects a string, got null`);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return toText(value);
  return fail(FailureKind.TYPE, `${what} expects a string, got ${aTypeName(value)}`);
}
