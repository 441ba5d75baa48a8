// Pebble's binary operators on values: arithmetic, `~`, comparisons, `..`, `contains` and `in`.
import type { BinaryOperator } from './ast.ts';
import { FailureKind, fail } from './errors.ts';
import {
  aTypeName,
  compareValues,
  isList,
  isMap,
  isNumeric,
  toInteger,
  toText,
  valuesEqual,
} from './values.ts';

/** `step` charges the evaluation budget for operators that build collections. */
export function applyBinary(
  operator: BinaryOperator,
  left: unknown,
  right: unknown,
  step: (n: number) => void,
): unknown {
  switch (operator) {
    case '+':
      return add(left, right);
    case '-':
      return subtract(left, right);
    case '*':
      return arithmetic(left, right, '*', (a, b) => a * b);
    case '/':
      return arithmetic(left, right, '/', (a, b) => {
        if (b === 0) fail(FailureKind.TYPE, 'Division by zero');
        return a / b;
      });
    case '%':
      return arithmetic(left, right, '%', (a, b) => {
        if (b === 0) fail(FailureKind.TYPE, 'Modulus by zero');
        return a % b;
      });
    case '~':
      return toText(left) + toText(right);
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    case '<':
      return compareValues(left, right) < 0;
    case '>':
      return compareValues(left, right) > 0;
    case '<=':
      return compareValues(left, right) <= 0;
    case '>=':
      return compareValues(left, right) >= 0;
    case '..':
      return range(
        toInteger(left, 'The range operator ".."'),
        toInteger(right, 'The range operator ".."'),
        1,
        step,
      );
    case 'contains':
      return contains(left, right);
    case 'in':
      return contains(right, left);
  }
}

function arithmetic(
  left: unknown,
  right: unknown,
  symbol: string,
  op: (a: number, b: number) => number,
): number {
  if (!isNumeric(left) || !isNumeric(right)) {
    fail(FailureKind.TYPE, `Cannot apply "${symbol}" to ${aTypeName(left)} and ${aTypeName(right)}`);
  }
  return op(Number(left), Number(right));
}

function add(left: unknown, right: unknown): unknown {
  if (isList(left)) return isList(right) ? [...left, ...right] : [...left, right];
  if (typeof left === 'string' || typeof right === 'string') {
    if (left === null || left === undefined || right === null || right === undefined) {
      fail(FailureKind.TYPE, `Cannot apply "+" to ${aTypeName(left)} and ${aTypeName(right)}`);
    }
    return toText(left) + toText(right);
  }
  return arithmetic(left, right, '+', (a, b) => a + b);
}

function subtract(left: unknown, right: unknown): unknown {
  if (isList(left)) {
    const removed = isList(right) ? right : [right];
    return left.filter((item) => !removed.some((r) => valuesEqual(item, r)));
  }
  return arithmetic(left, right, '-', (a, b) => a - b);
}

/** Pebble's inclusive range: `range(0, 3)` and `0..3` are [0, 1, 2, 3]. */
export function range(start: number, end: number, stepBy: number, step: (n: number) => void): number[] {
  if (stepBy === 0) fail(FailureKind.TYPE, 'range() step must not be 0');
  const count = stepBy > 0 ? Math.floor((end - start) / stepBy) + 1 : Math.floor((start - end) / -stepBy) + 1;
  if (count <= 0) return [];
  step(count);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * stepBy;
  return out;
}

/** `list contains x` (or all of a list), `map contains key`, `string contains substring`. */
export function contains(container: unknown, item: unknown): boolean {
  if (container === null || container === undefined) return false;
  if (isList(container)) {
    const wanted = isList(item) ? item : [item];
    return wanted.every((w) => container.some((c) => valuesEqual(c, w)));
  }
  if (isMap(container)) {
    const keys = isList(item) ? item : [item];
    return keys.every(
      (k) => (typeof k === 'string' || typeof k === 'number') && Object.hasOwn(container, String(k)),
    );
  }
  if (typeof container === 'string') {
    if (isList(item)) return item.every((i) => container.includes(toText(i)));
    return container.includes(toText(item));
  }
  return fail(
    FailureKind.TYPE,
    `"contains" needs a list, a map or a string on its left, got ${aTypeName(container)}`,
  );
}
