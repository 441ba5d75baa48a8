// Pebble tests (`x is defined`, `x is not empty`, ...). `defined` and `null` see missing values as null;
// the evaluator passes them MISSING instead of failing.
import type { TestDef } from './callables.ts';
import { FailureKind, fail } from './errors.ts';
import { isEmpty, isList, isMap, MISSING, toNumber } from './values.ts';

function integer(value: unknown, test: string): number {
  const n = toNumber(value, `The test "${test}"`);
  if (!Number.isInteger(n))
    fail(FailureKind.TYPE, `The test "${test}" needs an integer, got a decimal number`);
  return n;
}

const noArgs = (apply: (subject: unknown) => boolean): TestDef => ({ params: [], apply });

export const TESTS: ReadonlyMap<string, TestDef> = new Map<string, TestDef>([
  ['defined', noArgs((v) => v !== MISSING && v !== null && v !== undefined)],
  ['null', noArgs((v) => v === MISSING || v === null || v === undefined)],
  ['empty', noArgs(isEmpty)],
  ['even', noArgs((v) => integer(v, 'even') % 2 === 0)],
  ['odd', noArgs((v) => Math.abs(integer(v, 'odd') % 2) === 1)],
  ['iterable', noArgs(isList)],
  ['map', noArgs(isMap)],
  ['string', noArgs((v) => typeof v === 'string')],
  ['number', noArgs((v) => typeof v === 'number')],
  ['boolean', noArgs((v) => typeof v === 'boolean')],
  [
    'json',
    noArgs((v) => {
      if (typeof v !== 'string') return false;
      try {
        JSON.parse(v);
        return true;
      } catch {
        return false;
      }
    }),
  ],
  [
    'divisibleby',
    {
      params: ['divisor'],
      apply: (v, args) => {
        const divisor = integer(args.divisor, 'divisibleby');
        if (divisor === 0) fail(FailureKind.TYPE, 'divisibleby(0) is not defined');
        return integer(v, 'divisibleby') % divisor === 0;
      },
    },
  ],
]);

/** Tests that treat an undefined subject as null instead of failing. */
export const LENIENT_TESTS: ReadonlySet<string> = new Set(['defined', 'null']);
