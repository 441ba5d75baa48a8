// jq builtins on strings, numbers and JSON text (tostring, split, test, floor, ...), and range.
import { FailureKind, fail } from './errors.ts';
import { type Builtin, first, jqContains, jqFail, jqList, jqText, unary, withArg } from './jq-values.ts';
import { toJson } from './values.ts';

function regex(pattern: unknown, flags: unknown): RegExp {
  try {
    return new RegExp(
      jqText(pattern, 'test'),
      typeof flags === 'string' ? flags.replace(/[^imsu]/g, '') : '',
    );
  } catch (error) {
    return fail(FailureKind.TYPE, `jq: invalid regular expression: ${(error as Error).message}`);
  }
}

export const TEXT_BUILTINS: Array<[string, Builtin]> = [
  ['tostring/0', unary((v) => (typeof v === 'string' ? v : toJson(v)))],
  ['tojson/0', unary((v) => toJson(v))],
  ['fromjson/0', unary((v) => JSON.parse(jqText(v, 'fromjson')))],
  [
    'tonumber/0',
    unary((v) => {
      if (typeof v === 'number') return v;
      const n = Number(jqText(v, 'tonumber'));
      return Number.isNaN(n) || v === ''
        ? fail(FailureKind.TYPE, `jq: cannot parse '${String(v)}' as a number`)
        : n;
    }),
  ],
  ['ascii_downcase/0', unary((v) => jqText(v, 'ascii_downcase').toLowerCase())],
  ['ascii_upcase/0', unary((v) => jqText(v, 'ascii_upcase').toUpperCase())],
  [
    'join/1',
    withArg((v, sep) =>
      jqList(v, 'join')
        .map((x) => (x === null ? '' : typeof x === 'string' ? x : toJson(x)))
        .join(jqText(sep, 'join')),
    ),
  ],
  ['split/1', withArg((v, sep) => jqText(v, 'split').split(jqText(sep, 'split')))],
  [
    'ltrimstr/1',
    withArg((v, p) =>
      typeof v === 'string' && typeof p === 'string' && v.startsWith(p) ? v.slice(p.length) : v,
    ),
  ],
  [
    'rtrimstr/1',
    withArg((v, s) =>
      typeof v === 'string' && typeof s === 'string' && s !== '' && v.endsWith(s) ? v.slice(0, -s.length) : v,
    ),
  ],
  ['startswith/1', withArg((v, p) => jqText(v, 'startswith').startsWith(jqText(p, 'startswith')))],
  ['endswith/1', withArg((v, s) => jqText(v, 'endswith').endsWith(jqText(s, 'endswith')))],
  ['test/1', withArg((v, re) => regex(re, '').test(jqText(v, 'test')))],
  [
    'test/2',
    (rt, input, args, env) => [
      regex(first(rt, args[0]!, input, env), first(rt, args[1]!, input, env)).test(jqText(input, 'test')),
    ],
  ],
  ['contains/1', withArg(jqContains)],
  [
    'range/1',
    (rt, input, args, env) =>
      rt.run(args[0]!, input, env).flatMap((n) => {
        const count = Math.max(0, Math.ceil(typeof n === 'number' ? n : jqFail('range', n)));
        rt.step(count);
        return Array.from({ length: count }, (_x, i) => i);
      }),
  ],
  ['floor/0', unary((v) => (typeof v === 'number' ? Math.floor(v) : jqFail('floor', v)))],
  ['ceil/0', unary((v) => (typeof v === 'number' ? Math.ceil(v) : jqFail('ceil', v)))],
  ['round/0', unary((v) => (typeof v === 'number' ? Math.round(v) : jqFail('round', v)))],
  ['sqrt/0', unary((v) => (typeof v === 'number' ? Math.sqrt(v) : jqFail('sqrt', v)))],
  ['abs/0', unary((v) => (typeof v === 'number' ? Math.abs(v) : jqFail('abs', v)))],
  [
    'error/1',
    withArg((_v, message) =>
      fail(FailureKind.TYPE, `jq: ${typeof message === 'string' ? message : toJson(message)}`),
    ),
  ],
];
