// Collection filters: first/last, length, keys/values, join, sorting, slicing, merging and chunking.
import type { FilterDef } from '../callables.ts';
import { requireArg } from '../callables.ts';
import { FailureKind, fail } from '../errors.ts';
import {
  aTypeName,
  buildMap,
  compareValues,
  isList,
  isMap,
  mapEntries,
  toInteger,
  toText,
  valuesEqual,
} from '../values.ts';

function listInput(input: unknown, filter: string): unknown[] {
  if (isList(input)) return input;
  return fail(FailureKind.TYPE, `The filter '${filter}' needs a list, got ${aTypeName(input)}`);
}

function distinct(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of items) if (!out.some((seen) => valuesEqual(seen, item))) out.push(item);
  return out;
}

function end(input: unknown, filter: 'first' | 'last'): unknown {
  if (input === null || input === undefined) return null;
  if (typeof input === 'string') return input === '' ? null : filter === 'first' ? input[0] : input.at(-1);
  if (isList(input)) return (filter === 'first' ? input[0] : input.at(-1)) ?? null;
  if (isMap(input)) {
    const values = mapEntries(input);
    return (filter === 'first' ? values[0] : values.at(-1))?.[1] ?? null;
  }
  return fail(FailureKind.TYPE, `The filter '${filter}' needs a list or a string, got ${aTypeName(input)}`);
}

function sorted(input: unknown, filter: string, descending: boolean): unknown[] {
  const copy = [...listInput(input, filter)];
  copy.sort((a, b) => (descending ? compareValues(b, a) : compareValues(a, b)));
  return copy;
}

export const COLLECTION_FILTERS: Record<string, FilterDef> = {
  first: { params: [], apply: (input) => end(input, 'first') },
  last: { params: [], apply: (input) => end(input, 'last') },
  length: {
    params: [],
    apply: (input) => {
      if (input === null || input === undefined) return 0;
      if (typeof input === 'string' || isList(input)) return input.length;
      if (isMap(input)) return Object.keys(input).length;
      return fail(
        FailureKind.TYPE,
        `The filter 'length' needs a list, a map or a string, got ${aTypeName(input)}`,
      );
    },
  },
  keys: {
    params: [],
    apply: (input) => {
      if (isMap(input)) return Object.keys(input);
      if (isList(input)) return input.map((_item, index) => index);
      return fail(FailureKind.TYPE, `The filter 'keys' needs a map, got ${aTypeName(input)}`);
    },
  },
  values: {
    params: [],
    apply: (input) => {
      if (isMap(input)) return mapEntries(input).map(([, value]) => value);
      if (isList(input)) return input;
      return fail(FailureKind.TYPE, `The filter 'values' needs a map, got ${aTypeName(input)}`);
    },
  },
  join: {
    params: ['separator'],
    apply: (input, args) => {
      if (input === null || input === undefined) return null;
      const separator = args.separator === undefined ? '' : toText(args.separator);
      return listInput(input, 'join').map(toText).join(separator);
    },
  },
  sort: { params: [], apply: (input) => sorted(input, 'sort', false) },
  rsort: { params: [], apply: (input) => sorted(input, 'rsort', true) },
  reverse: {
    params: [],
    apply: (input) => {
      if (input === null || input === undefined) return null;
      if (typeof input === 'string') return [...input].reverse().join('');
      return [...listInput(input, 'reverse')].reverse();
    },
  },
  distinct: { params: [], apply: (input) => distinct(listInput(input, 'distinct')) },
  unique: { params: [], apply: (input) => distinct(listInput(input, 'unique')) },
  slice: {
    params: ['fromIndex', 'toIndex'],
    apply: (input, args) => {
      if (typeof input !== 'string' && !isList(input)) {
        return fail(FailureKind.TYPE, `The filter 'slice' needs a list or a string, got ${aTypeName(input)}`);
      }
      const from = args.fromIndex === undefined ? 0 : toInteger(args.fromIndex, "The filter 'slice'");
      const to = args.toIndex === undefined ? input.length : toInteger(args.toIndex, "The filter 'slice'");
      if (from < 0 || to > input.length || from > to) {
        fail(FailureKind.TYPE, `The filter 'slice' got indexes ${from}..${to} outside of 0..${input.length}`);
      }
      return input.slice(from, to);
    },
  },
  merge: {
    params: ['items'],
    apply: (input, args) => {
      const other = requireArg(args, 'items', "The filter 'merge'");
      if (isList(input)) return isList(other) ? [...input, ...other] : [...input, other];
      if (isMap(input) && isMap(other)) return buildMap([...mapEntries(input), ...mapEntries(other)]);
      return fail(
        FailureKind.TYPE,
        `The filter 'merge' cannot merge ${aTypeName(other)} into ${aTypeName(input)}`,
      );
    },
  },
  chunk: {
    params: ['size'],
    apply: (input, args) => {
      const size = toInteger(requireArg(args, 'size', "The filter 'chunk'"), "The filter 'chunk'");
      if (size < 1) fail(FailureKind.TYPE, "The filter 'chunk' needs a size of at least 1");
      const items = listInput(input, 'chunk');
      const chunks: unknown[][] = [];
      for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
      return chunks;
    },
  },
};
