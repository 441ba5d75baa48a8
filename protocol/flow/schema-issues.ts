// Checks a part of the document against its TypeBox schema and turns each mismatch into an issue a
// user can act on: which property, what was expected, what was found.
import { Kind, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import {
  type DocumentPath,
  describeValue,
  formatPath,
  type IssueCollector,
  type PathSegment,
} from './issues.ts';

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checker(schema: TSchema): TypeCheck<TSchema> {
  let check = checkers.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checkers.set(schema, check);
  }
  return check;
}

export interface SchemaContext {
  /** what the object is, for unknown-property messages (a type name, "the flow") */
  subject?: string;
  /** properties every object of this kind has; left out of the known-property hint */
  commonKeys?: ReadonlySet<string>;
  /** properties that pluginDefaults added, so that a problem with one says where it came from */
  fromDefaults?: ReadonlySet<string>;
}

/** Reports every way `value` (found at `path`) breaks `schema`; returns whether it matched. */
export function checkSchema(
  schema: TSchema,
  value: unknown,
  path: DocumentPath,
  issues: IssueCollector,
  context: SchemaContext = {},
): boolean {
  const check = checker(schema);
  if (check.Check(value)) return true;
  const reported: string[] = [];
  for (const error of check.Errors(value)) {
    if (reported.some((pointer) => error.path === pointer || error.path.startsWith(`${pointer}/`))) continue;
    reported.push(error.path);
    report(error, value, path, issues, context);
  }
  return false;
}

function report(
  error: ValueError,
  root: unknown,
  base: DocumentPath,
  issues: IssueCollector,
  context: SchemaContext,
) {
  const path = [...base, ...pointerToPath(error.path, root)];
  if (error.type === ValueErrorType.Union) return reportUnion(error, path, issues);
  const fromDefaults = context.fromDefaults?.has(String(path[base.length])) ? ' (set by pluginDefaults)' : '';
  let at: DocumentPath = path;
  let problem = `expected ${describe(error.schema)}, got ${describeValue(error.value)}`;
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    problem = 'required property is missing';
    at = path.slice(0, -1);
  } else if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    // the subject and its common keys describe the object checked, not the objects nested in it
    problem = unknownProperty(error.schema, path, path.length === base.length + 1 ? context : {});
  } else if (
    (error.type === ValueErrorType.ArrayMinItems || error.type === ValueErrorType.StringMinLength) &&
    (error.schema.minItems ?? error.schema.minLength) === 1
  ) {
    problem = 'must not be empty';
  }
  issues.add('ROOST_FLOW_INVALID', path, `${formatPath(path)}: ${problem}${fromDefaults}`, at);
}

/**
 * A union of objects told apart by `type` (retry policies, inputs): check against the variant named.
 * A list or a map where only one variant takes one (labels): check against that variant.
 */
function reportUnion(error: ValueError, path: PathSegment[], issues: IssueCollector) {
  const variants: TSchema[] = error.schema.anyOf ?? [];
  const value = error.value;
  const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
  const discriminated = variants.length > 0 && variants.every((variant) => variant.properties?.type?.const);
  if (discriminated && isMap) {
    const type = (value as { type?: unknown }).type;
    const chosen = variants.find((variant) => variant.properties.type.const === type);
    if (chosen) return void checkSchema(chosen, value, path, issues, { subject: chosen.title });
    const names = variants.map((variant) => String(variant.properties.type.const));
    const at = [...path, 'type'];
    const problem =
      type === undefined ? 'required property is missing' : `unknown type ${describeValue(type)}`;
    return issues.add(
      'ROOST_FLOW_INVALID',
      at,
      `${formatPath(at)}: ${problem}; expected one of ${names.join(', ')}`,
    );
  }
  const kinds = Array.isArray(value) ? ['Array'] : isMap ? ['Object', 'Record'] : [];
  const sameShape = variants.filter((variant) => kinds.includes(variant[Kind]));
  if (sameShape.length === 1 && sameShape[0]) return void checkSchema(sameShape[0], value, path, issues);
  const problem = `expected ${describe(error.schema)}, got ${describeValue(value)}`;
  issues.add('ROOST_FLOW_INVALID', path, `${formatPath(path)}: ${problem}`);
}

function unknownProperty(schema: TSchema, path: DocumentPath, context: SchemaContext): string {
  const name = String(path[path.length - 1]);
  const known = Object.keys(schema.properties ?? {}).filter((key) => !context.commonKeys?.has(key));
  const subject = context.subject ? ` of ${context.subject}` : '';
  const own = context.commonKeys ? 'own ' : '';
  const hint = known.length > 0 ? ` (its ${own}properties: ${known.sort().join(', ')})` : '';
  return `unknown property '${name}'${subject}${hint}`;
}

/** A JSON pointer from TypeBox (`/tasks/0/format`) as path segments, numbers where the value is a list. */
function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let current = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(current) ? Number(key) : key;
    path.push(segment);
    current =
      current !== null && typeof current === 'object'
        ? (current as Record<PathSegment, unknown>)[segment]
        : undefined;
  }
  return path;
}

/** What a schema accepts, in words: "an integer ≥ 0 or an expression "{{ ... }}"". */
export function describe(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  switch (schema[Kind]) {
    case 'Union': {
      const variants: TSchema[] = schema.anyOf;
      if (variants.every((variant) => variant[Kind] === 'Literal')) {
        return `one of ${variants.map((variant) => String(variant.const)).join(', ')}`;
      }
      return [...new Set(variants.map(describe))].join(' or ');
    }
    case 'Literal':
      return JSON.stringify(schema.const);
    case 'String':
      return schema.pattern ? `a string matching ${schema.pattern}` : 'a string';
    case 'Integer':
      return `an integer${bounds(schema)}`;
    case 'Number':
      return `a number${bounds(schema)}`;
    case 'Boolean':
      return 'true or false';
    case 'Array':
      return schema.items?.[Kind] === 'String' ? 'a list of strings' : 'a list';
    case 'Object':
    case 'Record':
      return 'a map';
    default:
      return 'a valid value';
  }
}

function bounds(schema: TSchema): string {
  const parts: string[] = [];
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}
