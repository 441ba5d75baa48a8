// Execution inputs: given values (strings from a form or the CLI, JSON from the API) coerced to their
// input's type with Kestra's rules (validator, min/max, after/before, allowed values), defaults applied.
import { parse as parseYaml } from 'yaml';
import { formatInstant, isLocalDate, parseInstant, parseIsoDuration, parseLocalTime } from './iso-time.ts';
import { describeValue } from './issues.ts';
import { isExpression } from './schema-common.ts';
import type { Flow } from './schema-flow.ts';

export interface InputValueError {
  input: string;
  message: string;
}

export interface InputValues {
  /** typed values by input id; dotted ids nest (`a.b` becomes `{a: {b}}`), as in Kestra */
  values: Record<string, unknown>;
  errors: InputValueError[];
}

/**
 * Kestra's rules: a missing value takes the input's `defaults`; a required input (the default) with
 * neither fails; an optional one is null. Values that are not declared inputs are ignored.
 * `defaults` written as an expression are kept as written, for the executor to render.
 */
export function validateInputValues(flow: Pick<Flow, 'inputs'>, given: Record<string, unknown>): InputValues {
  const values: Record<string, unknown> = {};
  const errors: InputValueError[] = [];
  for (const input of flow.inputs ?? []) {
    const id = input.id;
    const provided = Object.hasOwn(given, id) ? given[id] : undefined;
    const raw = provided ?? input.defaults;
    if (raw === undefined || raw === null) {
      if (input.required === false) setNested(values, id, null);
      else errors.push({ input: id, message: `input '${id}' is required and was not given` });
      continue;
    }
    if (provided == null && isExpression(raw)) {
      setNested(values, id, raw);
      continue;
    }
    const result = coerceInputValue(input, raw);
    if (result.ok) setNested(values, id, result.value);
    else errors.push({ input: id, message: `input '${id}' (${input.type}): ${result.reason}` });
  }
  return { values, errors };
}

export type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };

/** An input declaration, read loosely: it may come from a document that is still being checked. */
export type InputView = { type?: unknown } & Record<string, unknown>;

const ok = (value: unknown): Coerced => ({ ok: true, value });
const fail = (reason: string): Coerced => ({ ok: false, reason });
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : undefined);
const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SCHEME_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const isInt32 = (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;

/** The typed value of `raw` for `input`, or the rule it breaks. */
export function coerceInputValue(input: InputView, raw: unknown): Coerced {
  switch (input.type) {
    case 'STRING':
    case 'SECRET':
      return matchValidator(input, typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw);
    case 'ENUM':
    case 'SELECT':
      return typeof raw === 'string'
        ? oneOf(input, raw)
        : fail(`expected a string, got ${describeValue(raw)}`);
    case 'MULTISELECT':
      return eachItem(raw, text(input.itemType) ?? 'STRING', (item) => oneOf(input, String(item)));
    case 'ARRAY':
      return eachItem(raw, text(input.itemType) ?? 'STRING', ok);
    case 'INT':
      return number(input, raw, INT_RE, 'an integer (32 bits)', isInt32);
    case 'FLOAT':
      return number(input, raw, FLOAT_RE, 'a number', Number.isFinite);
    case 'BOOLEAN':
      if (typeof raw === 'boolean') return ok(raw);
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim()))
        return ok(raw.trim().toLowerCase() === 'true');
      return fail(`expected true or false, got ${describeValue(raw)}`);
    case 'DATETIME':
      return instant(input, raw);
    case 'DATE':
      return ordered(input, raw, 'an ISO-8601 date such as 2024-12-31', (value) =>
        isLocalDate(value) ? value : undefined,
      );
    case 'TIME':
      return ordered(input, raw, 'an ISO-8601 time such as 13:45:00', parseLocalTime);
    case 'DURATION':
      return duration(input, raw);
    case 'FILE':
      return typeof raw === 'string' && SCHEME_RE.test(raw)
        ? ok(raw)
        : fail(`expected a file URI (kestra:///..., file:///...), got ${describeValue(raw)}`);
    case 'JSON':
      return parsed(raw, 'JSON', JSON.parse);
    case 'YAML':
      return parsed(raw, 'YAML', (source) => parseYaml(source, { maxAliasCount: 100 }));
    case 'URI':
      return typeof raw === 'string' && isUri(raw)
        ? ok(raw)
        : fail(`expected a URI such as https://example.com/x, got ${describeValue(raw)}`);
    case 'EMAIL':
      return typeof raw === 'string' && EMAIL_RE.test(raw)
        ? ok(raw)
        : fail(`expected an email address, got ${describeValue(raw)}`);
    default:
      return fail(`unknown input type ${describeValue(input.type)}`);
  }
}

function matchValidator(input: InputView, raw: unknown): Coerced {
  if (typeof raw !== 'string') return fail(`expected a string, got ${describeValue(raw)}`);
  const validator = text(input.validator);
  if (validator === undefined) return ok(raw);
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${validator})$`);
  } catch {
    return fail(`its validator ${JSON.stringify(validator)} is not a valid regular expression`);
  }
  return pattern.test(raw)
    ? ok(raw)
    : fail(`${describeValue(raw)} does not match the validator ${validator}`);
}

function oneOf(input: InputView, value: string): Coerced {
  const values = strings(input.values) ?? strings(input.options);
  if (!values || input.allowCustomValue === true || values.includes(value)) return ok(value);
  return fail(`${describeValue(value)} is not one of ${values.join(', ')}`);
}

/** A list, given as one or as the JSON of one; each item coerced to `itemType`, then checked. */
function eachItem(raw: unknown, itemType: string, check: (item: unknown) => Coerced): Coerced {
  let list = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch {
      return fail(`expected a list (or the JSON of one), got ${describeValue(raw)}`);
    }
  }
  if (!Array.isArray(list)) return fail(`expected a list, got ${describeValue(raw)}`);
  const values: unknown[] = [];
  for (const [index, item] of list.entries()) {
    const typed = coerceInputValue({ type: itemType }, item);
    const checked = typed.ok ? check(typed.value) : typed;
    if (!checked.ok) return fail(`item ${index}: ${checked.reason}`);
    values.push(checked.value);
  }
  return ok(values);
}

function number(
  input: InputView,
  raw: unknown,
  re: RegExp,
  what: string,
  valid: (n: number) => boolean,
): Coerced {
  const value =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && re.test(raw.trim())
        ? Number(raw.trim())
        : Number.NaN;
  if (!valid(value)) return fail(`expected ${what}, got ${describeValue(raw)}`);
  if (typeof input.min === 'number' && value < input.min)
    return fail(`${value} is less than the minimum ${input.min}`);
  if (typeof input.max === 'number' && value > input.max)
    return fail(`${value} is more than the maximum ${input.max}`);
  return ok(value);
}

/** A value with an order (date, time): parsed, then kept within `after` and `before` when given. */
function ordered<T extends string | number>(
  input: InputView,
  raw: unknown,
  what: string,
  read: (text: string) => T | undefined,
) {
  const value = typeof raw === 'string' ? read(raw) : undefined;
  if (value === undefined) return fail(`expected ${what}, got ${describeValue(raw)}`);
  const after = text(input.after) === undefined ? undefined : read(String(input.after));
  const before = text(input.before) === undefined ? undefined : read(String(input.before));
  if (after !== undefined && value < after)
    return fail(`${describeValue(raw)} is before ${input.after} (after)`);
  if (before !== undefined && value > before)
    return fail(`${describeValue(raw)} is after ${input.before} (before)`);
  return ok(raw);
}

function instant(input: InputView, raw: unknown): Coerced {
  const checked = ordered(input, raw, 'an ISO-8601 instant such as 2024-12-31T23:59:00Z', parseInstant);
  return checked.ok ? ok(formatInstant(parseInstant(String(raw)) as number)) : checked;
}

function duration(input: InputView, raw: unknown): Coerced {
  const ms = typeof raw === 'string' ? parseIsoDuration(raw) : undefined;
  if (ms === undefined) return fail(`expected an ISO-8601 duration such as PT5M, got ${describeValue(raw)}`);
  const min = text(input.min) === undefined ? undefined : parseIsoDuration(String(input.min));
  const max = text(input.max) === undefined ? undefined : parseIsoDuration(String(input.max));
  if (min !== undefined && ms < min)
    return fail(`${describeValue(raw)} is shorter than the minimum ${input.min}`);
  if (max !== undefined && ms > max)
    return fail(`${describeValue(raw)} is longer than the maximum ${input.max}`);
  return ok(raw);
}

function parsed(raw: unknown, format: string, parse: (source: string) => unknown): Coerced {
  if (typeof raw !== 'string') return ok(raw);
  try {
    return ok(parse(raw));
  } catch (error) {
    return fail(`not valid ${format}: ${(error as Error).message.split('\n')[0]}`);
  }
}

function isUri(value: string): boolean {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/.test(value)) return false;
  try {
    return new URL(value).host !== '' || value.startsWith('file:');
  } catch {
    return false;
  }
}

/** Puts `value` at a dotted id; when a segment already holds a plain value, the id stays flat. */
function setNested(target: Record<string, unknown>, id: string, value: unknown): void {
  const segments = id.split('.');
  const last = segments.pop() as string;
  let current = target;
  for (const segment of segments) {
    current[segment] ??= {};
    const next = current[segment];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      target[id] = value;
      return;
    }
    current = next as Record<string, unknown>;
  }
  current[last] = value;
}
