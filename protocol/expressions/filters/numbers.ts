// Number filters: abs, number (parse a string) and round.
import type { FilterDef } from '../callables.ts';
import { FailureKind, fail } from '../errors.ts';
import { toInteger, toNumber, toStringArg } from '../values.ts';

const NUMBER_TYPES = new Set(['INT', 'INTEGER', 'LONG', 'FLOAT', 'DOUBLE', 'BIGDECIMAL', 'BIGINTEGER']);

function parseNumber(input: unknown, type: string | undefined): number {
  if (typeof input === 'number') return input;
  const text = toStringArg(input, "The filter 'number'").trim();
  if (type !== undefined && !NUMBER_TYPES.has(type)) {
    fail(
      FailureKind.TYPE,
      `The filter 'number' type must be one of ${[...NUMBER_TYPES].join(', ')}, not '${type}'`,
    );
  }
  const integral = type === 'INT' || type === 'INTEGER' || type === 'LONG' || type === 'BIGINTEGER';
  const pattern = integral ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  if (!pattern.test(text))
    fail(
      FailureKind.TYPE,
      `The filter 'number' cannot parse '${text}' as a${integral ? 'n integer' : ' number'}`,
    );
  return Number(text);
}

const ROUNDING = new Map([
  ['common', Math.round],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
]);

export const NUMBER_FILTERS: Record<string, FilterDef> = {
  abs: { params: [], apply: (input) => Math.abs(toNumber(input, "The filter 'abs'")) },
  number: {
    params: ['type'],
    apply: (input, args) =>
      parseNumber(
        input,
        args.type === undefined ? undefined : toStringArg(args.type, "The filter 'number'").toUpperCase(),
      ),
  },
  round: {
    params: ['precision', 'method'],
    apply: (input, args) => {
      const value = toNumber(input, "The filter 'round'");
      const precision = args.precision === undefined ? 0 : toInteger(args.precision, "The filter 'round'");
      const method = args.method === undefined ? 'common' : toStringArg(args.method, "The filter 'round'");
      const round = ROUNDING.get(method);
      if (!round)
        return fail(
          FailureKind.TYPE,
          `The filter 'round' method must be common, ceil or floor, not '${method}'`,
        );
      const factor = 10 ** precision;
      const rounded =
        method === 'common' ? Math.sign(value) * round(Math.abs(value) * factor) : round(value * factor);
      return rounded / factor + 0;
    },
  },
};
