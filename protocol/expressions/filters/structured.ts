// Filters between values and JSON or YAML text (toJson, fromJson, yaml, ...), and the jq filter.
import { parse as parseYamlText, stringify as stringifyYaml } from 'yaml';
import type { FilterDef } from '../callables.ts';
import { requireArg } from '../callables.ts';
import { FailureKind, fail } from '../errors.ts';
import { runJq } from '../jq.ts';
import { aTypeName, toJson, toStringArg } from '../values.ts';

export function parseJson(input: unknown, what: string): unknown {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'string')
    return fail(FailureKind.TYPE, `${what} needs a JSON string, got ${aTypeName(input)}`);
  try {
    return JSON.parse(input);
  } catch (error) {
    return fail(FailureKind.TYPE, `${what} got invalid JSON: ${(error as Error).message}`);
  }
}

export function parseYaml(input: unknown, what: string): unknown {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'string')
    return fail(FailureKind.TYPE, `${what} needs a YAML string, got ${aTypeName(input)}`);
  try {
    return parseYamlText(input, { maxAliasCount: 100 }) ?? null;
  } catch (error) {
    return fail(FailureKind.TYPE, `${what} got invalid YAML: ${(error as Error).message}`);
  }
}

/** YAML text of a value; JSON first normalises dates and big integers the way toJson does. */
function toYaml(input: unknown): string {
  return stringifyYaml(JSON.parse(toJson(input)), { lineWidth: 0 });
}

const serialize: FilterDef = { params: [], apply: (input) => toJson(input) };

export const STRUCTURED_FILTERS: Record<string, FilterDef> = {
  json: serialize,
  toJson: serialize,
  fromJson: { params: [], apply: (input) => parseJson(input, "The filter 'fromJson'") },
  jsonToObject: { params: [], apply: (input) => parseJson(input, "The filter 'jsonToObject'") },
  yaml: { params: [], apply: toYaml },
  toYaml: { params: [], apply: toYaml },
  fromYaml: { params: [], apply: (input) => parseYaml(input, "The filter 'fromYaml'") },
  jq: {
    params: ['expression'],
    apply: (input, args, call) => {
      const expression = toStringArg(requireArg(args, 'expression', "The filter 'jq'"), "The filter 'jq'");
      return runJq(expression, input, (n) => call.step(n));
    },
  },
};
