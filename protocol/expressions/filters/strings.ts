// String filters: case, trimming, replacing, splitting, substrings, slugs and escaping.
import type { CallContext, FilterDef } from '../callables.ts';
import { requireArg } from '../callables.ts';
import { FailureKind, fail } from '../errors.ts';
import { isMap, mapEntries, toInteger, toStringArg, toText } from '../values.ts';

/** A filter of one string; null passes through as null, as in Pebble. */
function text(apply: (input: string) => unknown, params: readonly string[] = []): FilterDef {
  return { params, apply: (input) => (input === null || input === undefined ? null : apply(toText(input))) };
}

function textWith(
  params: readonly string[],
  apply: (input: string, args: Record<string, unknown>, call: CallContext) => unknown,
): FilterDef {
  return {
    params,
    apply: (input, args, call) =>
      input === null || input === undefined ? null : apply(toText(input), args, call),
  };
}

/** Fails before building a string that would be longer than the output limit. */
function ensureFits(length: number, call: CallContext, filter: string): void {
  if (length > call.maxOutputLength) {
    fail(
      FailureKind.BUDGET,
      `The filter '${filter}' would build ${length} characters, over the output limit`,
    );
  }
}

function separatorArg(args: Record<string, unknown>, filter: string): string {
  return toStringArg(requireArg(args, 'separator', `The filter '${filter}'`), `The filter '${filter}'`);
}

function javaRegex(pattern: string, flags: string, what: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    return fail(FailureKind.TYPE, `${what}: invalid regular expression: ${(error as Error).message}`);
  }
}

/** Java's String.split: a regex delimiter; limit > 0 caps the parts, 0 drops trailing empty strings. */
function split(input: string, delimiter: string, limit: number): string[] {
  if (input === '') return [''];
  const regex = javaRegex(delimiter, 'g', "The filter 'split'");
  const parts: string[] = [];
  let last = 0;
  for (const match of input.matchAll(regex)) {
    if (limit > 0 && parts.length === limit - 1) break;
    const at = match.index;
    if (match[0].length === 0 && (at === 0 || at >= input.length)) continue;
    parts.push(input.slice(last, at));
    last = at + match[0].length;
  }
  parts.push(input.slice(last));
  if (limit === 0) while (parts.length > 0 && parts.at(-1) === '') parts.pop();
  return parts;
}

export const STRING_FILTERS: Record<string, FilterDef> = {
  upper: text((s) => s.toUpperCase()),
  lower: text((s) => s.toLowerCase()),
  capitalize: text((s) => s.charAt(0).toUpperCase() + s.slice(1)),
  title: text((s) => s.replace(/(^|\s)(\S)/gu, (_m, space: string, c: string) => space + c.toUpperCase())),
  trim: text((s) => s.trim()),
  string: { params: [], apply: (input) => toText(input) },
  replace: textWith(['replace_pairs', 'replacement', 'regexp'], (s, args, call) => {
    const pairs = args.replace_pairs;
    const regexp = args.regexp === true;
    const entries: Array<[string, unknown]> = isMap(pairs)
      ? mapEntries(pairs)
      : [[toStringArg(pairs, "The filter 'replace'"), args.replacement ?? '']];
    let out = s;
    for (const [search, replacement] of entries) {
      const by = toText(replacement);
      if (regexp) {
        out = out.replace(javaRegex(search, 'g', "The filter 'replace'"), by);
      } else {
        const parts = out.split(search);
        ensureFits(out.length + (parts.length - 1) * (by.length - search.length), call, 'replace');
        out = parts.join(by);
      }
    }
    return out;
  }),
  split: textWith(['delimiter', 'limit'], (s, args) => {
    const delimiter = toStringArg(requireArg(args, 'delimiter', "The filter 'split'"), "The filter 'split'");
    const limit = args.limit === undefined ? 0 : toInteger(args.limit, "The filter 'split' limit");
    return split(s, delimiter, limit);
  }),
  abbreviate: textWith(['length'], (s, args) => {
    const max = toInteger(requireArg(args, 'length', "The filter 'abbreviate'"), "The filter 'abbreviate'");
    if (max < 4) fail(FailureKind.TYPE, "The filter 'abbreviate' needs a length of at least 4");
    return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
  }),
  startsWith: textWith(['prefix'], (s, args) =>
    s.startsWith(toStringArg(args.prefix, "The filter 'startsWith'")),
  ),
  endsWith: textWith(['suffix'], (s, args) => s.endsWith(toStringArg(args.suffix, "The filter 'endsWith'"))),
  substringBefore: textWith(['separator'], (s, args) => {
    const at = s.indexOf(separatorArg(args, 'substringBefore'));
    return at === -1 ? s : s.slice(0, at);
  }),
  substringAfter: textWith(['separator'], (s, args) => {
    const separator = separatorArg(args, 'substringAfter');
    const at = s.indexOf(separator);
    return at === -1 ? '' : s.slice(at + separator.length);
  }),
  substringBeforeLast: textWith(['separator'], (s, args) => {
    const at = s.lastIndexOf(separatorArg(args, 'substringBeforeLast'));
    return at === -1 ? s : s.slice(0, at);
  }),
  substringAfterLast: textWith(['separator'], (s, args) => {
    const separator = separatorArg(args, 'substringAfterLast');
    const at = s.lastIndexOf(separator);
    return at === -1 || at + separator.length === s.length ? '' : s.slice(at + separator.length);
  }),
  slugify: text((s) =>
    s
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, ''),
  ),
  escapeChar: textWith(['type'], (s, args) => {
    const type = toStringArg(requireArg(args, 'type', "The filter 'escapeChar'"), "The filter 'escapeChar'");
    if (type === 'single') return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    if (type === 'double') return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    if (type === 'shell') return s.replace(/'/g, "'\\''");
    return fail(
      FailureKind.TYPE,
      `The filter 'escapeChar' type must be 'single', 'double' or 'shell', not '${type}'`,
    );
  }),
  indent: textWith(['amount', 'prefix'], (s, args, call) => indent(s, args, call, false)),
  nindent: textWith(['amount', 'prefix'], (s, args, call) => indent(s, args, call, true)),
};

/** Kestra's indent: every line but the first gets `amount` copies of prefix; nindent also starts a new line. */
function indent(s: string, args: Record<string, unknown>, call: CallContext, newline: boolean): string {
  const amount = toInteger(requireArg(args, 'amount', "The filter 'indent'"), "The filter 'indent'");
  if (amount < 0) fail(FailureKind.TYPE, "The filter 'indent' needs a positive amount");
  const prefix = args.prefix === undefined ? ' ' : toText(args.prefix);
  const lineCount = s.split('\n').length;
  ensureFits(s.length + prefix.length * amount * lineCount, call, 'indent');
  const pad = prefix.repeat(amount);
  const lines = s
    .split('\n')
    .map((line, i) => (i === 0 && !newline ? line : line === '' ? line : pad + line));
  return (newline ? '\n' : '') + lines.join('\n');
}
