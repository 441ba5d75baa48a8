// The jq builtins the `jq` filter supports: collections here (length, keys, map, select, sort_by, to_entries,
// ...), strings and numbers in jq-text-builtins.ts.
import { TEXT_BUILTINS } from './jq-text-builtins.ts';
import {
  type Builtin,
  first,
  jqArithmetic,
  jqCompare,
  jqFail,
  jqItems,
  jqList,
  jqTruthy,
  jqType,
  unary,
  withArg,
} from './jq-values.ts';
import { buildMap, isMap, mapEntries, ownValue, toJson, valuesEqual } from './values.ts';

const sortBy = (values: unknown[], key: (v: unknown) => unknown): unknown[] =>
  values
    .map((v) => ({ v, k: key(v) }))
    .sort((a, b) => jqCompare(a.k, b.k))
    .map((e) => e.v);

function flatten(values: unknown[], depth: number): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) && depth > 0 ? flatten(v, depth - 1) : [v]));
}

function entriesOf(input: unknown): unknown[] {
  if (!isMap(input)) return jqFail('to_entries', input);
  return mapEntries(input).map(([key, value]) =>
    buildMap([
      ['key', key],
      ['value', value],
    ]),
  );
}

function fromEntries(input: unknown): unknown {
  return buildMap(
    jqList(input, 'from_entries').map((e) => {
      if (!isMap(e)) return jqFail('from_entries', e);
      const pick = (names: string[]): unknown =>
        names.map((n) => ownValue(e, n)).find((v) => v !== undefined);
      const key = pick(['key', 'k', 'name', 'Name', 'Key', 'K']);
      return [
        typeof key === 'string' ? key : toJson(key),
        pick(['value', 'v', 'Value', 'V']) ?? null,
      ] as const;
    }),
  );
}

function length(input: unknown): unknown {
  if (input === null) return 0;
  if (typeof input === 'number') return Math.abs(input);
  if (typeof input === 'string' || Array.isArray(input)) return input.length;
  if (isMap(input)) return Object.keys(input).length;
  return jqFail('length', input);
}

const COLLECTION_BUILTINS: Array<[string, Builtin]> = [
  ['empty/0', () => []],
  ['not/0', unary((v) => !jqTruthy(v))],
  ['length/0', unary(length)],
  ['type/0', unary(jqType)],
  [
    'keys/0',
    unary((v) =>
      Array.isArray(v) ? v.map((_x, i) => i) : isMap(v) ? Object.keys(v).sort() : jqFail('keys', v),
    ),
  ],
  ['keys_unsorted/0', unary((v) => (isMap(v) ? Object.keys(v) : jqFail('keys_unsorted', v)))],
  ['values/0', (_rt, input) => (input === null ? [] : [input])],
  ['map/1', (rt, input, args, env) => [jqItems(input, 'map').flatMap((v) => rt.run(args[0]!, v, env))]],
  [
    'map_values/1',
    (rt, input, args, env) => {
      if (Array.isArray(input)) return [input.flatMap((v) => rt.run(args[0]!, v, env).slice(0, 1))];
      if (!isMap(input)) return jqFail('map_values', input);
      return [
        buildMap(
          mapEntries(input).flatMap(([k, v]) =>
            rt
              .run(args[0]!, v, env)
              .slice(0, 1)
              .map((r) => [k, r] as const),
          ),
        ),
      ];
    },
  ],
  [
    'select/1',
    (rt, input, args, env) =>
      rt
        .run(args[0]!, input, env)
        .filter(jqTruthy)
        .map(() => input),
  ],
  [
    'has/1',
    withArg((input, key) => {
      if (isMap(input) && typeof key === 'string') return Object.hasOwn(input, key);
      if (Array.isArray(input) && typeof key === 'number') return key >= 0 && key < input.length;
      return jqFail('has', input);
    }),
  ],
  [
    'add/0',
    unary((v) =>
      jqItems(v, 'add').reduce(
        (acc: unknown, x) => (acc === null ? x : x === null ? acc : jqArithmetic('+', acc, x)),
        null,
      ),
    ),
  ],
  ['any/0', unary((v) => jqItems(v, 'any').some(jqTruthy))],
  ['all/0', unary((v) => jqItems(v, 'all').every(jqTruthy))],
  [
    'any/1',
    (rt, input, args, env) => [jqItems(input, 'any').some((v) => rt.run(args[0]!, v, env).some(jqTruthy))],
  ],
  [
    'all/1',
    (rt, input, args, env) => [jqItems(input, 'all').every((v) => rt.run(args[0]!, v, env).every(jqTruthy))],
  ],
  ['first/0', unary((v) => jqList(v, 'first')[0] ?? null)],
  ['last/0', unary((v) => jqList(v, 'last').at(-1) ?? null)],
  ['first/1', (rt, input, args, env) => rt.run(args[0]!, input, env).slice(0, 1)],
  ['last/1', (rt, input, args, env) => rt.run(args[0]!, input, env).slice(-1)],
  ['nth/1', withArg((input, n) => jqList(input, 'nth')[typeof n === 'number' ? n : 0] ?? null)],
  [
    'limit/2',
    (rt, input, args, env) => rt.run(args[1]!, input, env).slice(0, Number(first(rt, args[0]!, input, env))),
  ],
  [
    'reverse/0',
    unary((v) => (typeof v === 'string' ? [...v].reverse().join('') : [...jqList(v, 'reverse')].reverse())),
  ],
  ['sort/0', unary((v) => sortBy(jqList(v, 'sort'), (x) => x))],
  [
    'sort_by/1',
    (rt, input, args, env) => [sortBy(jqList(input, 'sort_by'), (v) => rt.run(args[0]!, v, env))],
  ],
  [
    'group_by/1',
    (rt, input, args, env) => {
      const groups: Array<{ key: unknown[]; values: unknown[] }> = [];
      for (const v of sortBy(jqList(input, 'group_by'), (x) => rt.run(args[0]!, x, env))) {
        const key = rt.run(args[0]!, v, env);
        const last = groups.at(-1);
        if (last && valuesEqual(last.key, key)) last.values.push(v);
        else groups.push({ key, values: [v] });
      }
      return [groups.map((g) => g.values)];
    },
  ],
  [
    'unique/0',
    unary((v) =>
      sortBy(jqList(v, 'unique'), (x) => x).filter((x, i, all) => i === 0 || !valuesEqual(x, all[i - 1])),
    ),
  ],
  [
    'unique_by/1',
    (rt, input, args, env) => {
      const keyed = jqList(input, 'unique_by').map((v) => ({ v, k: rt.run(args[0]!, v, env) }));
      const sorted = keyed.sort((a, b) => jqCompare(a.k, b.k));
      return [sorted.filter((e, i) => i === 0 || !valuesEqual(e.k, sorted[i - 1]!.k)).map((e) => e.v)];
    },
  ],
  ['min/0', unary((v) => sortBy(jqList(v, 'min'), (x) => x)[0] ?? null)],
  ['max/0', unary((v) => sortBy(jqList(v, 'max'), (x) => x).at(-1) ?? null)],
  [
    'min_by/1',
    (rt, input, args, env) => [sortBy(jqList(input, 'min_by'), (v) => rt.run(args[0]!, v, env))[0] ?? null],
  ],
  [
    'max_by/1',
    (rt, input, args, env) => [
      sortBy(jqList(input, 'max_by'), (v) => rt.run(args[0]!, v, env)).at(-1) ?? null,
    ],
  ],
  ['flatten/0', unary((v) => flatten(jqList(v, 'flatten'), Number.POSITIVE_INFINITY))],
  ['flatten/1', withArg((v, depth) => flatten(jqList(v, 'flatten'), Number(depth)))],
  ['to_entries/0', unary(entriesOf)],
  ['from_entries/0', unary(fromEntries)],
  [
    'with_entries/1',
    (rt, input, args, env) => [fromEntries(entriesOf(input).flatMap((e) => rt.run(args[0]!, e, env)))],
  ],
];

export const JQ_BUILTINS: ReadonlyMap<string, Builtin> = new Map([...COLLECTION_BUILTINS, ...TEXT_BUILTINS]);
