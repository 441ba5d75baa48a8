// The registry of functions: now, range, max, min, fromJson/json, yaml, secret, read, render, renderOnce,
// printContext. secret() and read() call the host through RenderOptions.functions.
import type { FunctionDef } from './callables.ts';
import { requireArg } from './callables.ts';
import { Failure, FailureKind, fail } from './errors.ts';
import { formatNow } from './filters/dates.ts';
import { parseJson, parseYaml } from './filters/structured.ts';
import { range } from './operators.ts';
import { compareValues, isList, isTruthy, toInteger, toStringArg } from './values.ts';

function extreme(values: unknown[], sign: 1 | -1): unknown {
  const items = values.length === 1 && isList(values[0]) ? values[0] : values;
  let best: unknown = null;
  for (const item of items) {
    if (item === null || item === undefined) continue;
    if (best === null || compareValues(item, best) * sign > 0) best = item;
  }
  return best;
}

function host<T extends string>(name: 'secret' | 'read', run: () => T): T {
  try {
    return run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Failure(FailureKind.HOST, `${name}() failed: ${reason}`, { cause: error });
  }
}

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  ['now', { params: ['timeZone', 'format'], apply: (args, call) => formatNow(call.now(), args) }],
  [
    'range',
    {
      params: ['start', 'end', 'step'],
      apply: (args, call) =>
        range(
          toInteger(requireArg(args, 'start', 'range()'), 'range() start'),
          toInteger(requireArg(args, 'end', 'range()'), 'range() end'),
          args.step === undefined ? 1 : toInteger(args.step, 'range() step'),
          (n) => call.step(n),
        ),
    },
  ],
  ['max', { params: ['...values'], apply: (args) => extreme(args.values as unknown[], 1) }],
  ['min', { params: ['...values'], apply: (args) => extreme(args.values as unknown[], -1) }],
  [
    'fromJson',
    { params: ['json'], apply: (args) => parseJson(requireArg(args, 'json', 'fromJson()'), 'fromJson()') },
  ],
  ['json', { params: ['json'], apply: (args) => parseJson(requireArg(args, 'json', 'json()'), 'json()') }],
  [
    'jsonToObject',
    {
      params: ['json'],
      apply: (args) => parseJson(requireArg(args, 'json', 'jsonToObject()'), 'jsonToObject()'),
    },
  ],
  ['yaml', { params: ['yaml'], apply: (args) => parseYaml(requireArg(args, 'yaml', 'yaml()'), 'yaml()') }],
  [
    'secret',
    {
      params: ['key'],
      apply: (args, call) => {
        const key = toStringArg(requireArg(args, 'key', 'secret()'), 'secret()');
        const secret = call.functions.secret;
        if (!secret) return fail(FailureKind.HOST, 'secret() is not available here');
        return host('secret', () => secret(key));
      },
    },
  ],
  [
    'read',
    {
      params: ['path'],
      apply: (args, call) => {
        const path = toStringArg(requireArg(args, 'path', 'read()'), 'read()');
        const read = call.functions.read;
        if (!read) return fail(FailureKind.HOST, 'read() is not available here');
        return host('read', () => read(path));
      },
    },
  ],
  [
    'render',
    {
      params: ['template', 'recursive'],
      apply: (args, call) => {
        const template = requireArg(args, 'template', 'render()');
        if (template === null || template === undefined) return null;
        if (typeof template !== 'string') return template;
        return call.renderString(template, args.recursive === undefined ? true : isTruthy(args.recursive));
      },
    },
  ],
  [
    'renderOnce',
    {
      params: ['template'],
      apply: (args, call) => {
        const template = requireArg(args, 'template', 'renderOnce()');
        return typeof template === 'string' ? call.renderString(template, false) : (template ?? null);
      },
    },
  ],
  ['printContext', { params: [], apply: (_args, call) => call.variables() }],
]);
