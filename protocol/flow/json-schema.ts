// The JSON Schema of a whole flow document, for editors and the API: the TypeBox schemas as they are,
// with tasks, triggers and conditions as unions of every known type, told apart by `type`.
import { REF_KEY } from './schema-common.ts';
import { FlowDocumentSchema } from './schema-flow.ts';
import { TaskKind, type TaskTypeInfo } from './task-type.ts';
import { taskTypesOfKind } from './task-types.ts';

type JsonObject = Record<string, unknown>;

let cached: JsonObject | undefined;

/** A fresh copy of the flow document's JSON Schema (draft 2020-12). */
export function flowJsonSchema(): JsonObject {
  cached ??= build();
  return structuredClone(cached);
}

function build(): JsonObject {
  const root = plain(FlowDocumentSchema);
  const properties = root.properties as Record<string, JsonObject>;
  for (const old of ['taskDefaults', 'listeners'] as const) {
    const property = properties[old];
    if (property) property.deprecated = true;
  }
  const union = (...kinds: TaskKind[]) => ({
    anyOf: kinds.flatMap((kind) => taskTypesOfKind(kind)).map(variant),
  });
  const schema: JsonObject = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...root,
    description: 'A Kestra-compatible flow, as Roost reads it.',
    $defs: {
      task: union(TaskKind.FLOWABLE, TaskKind.RUNNABLE),
      trigger: union(TaskKind.TRIGGER),
      condition: union(TaskKind.CONDITION),
    },
  };
  acceptOldInputNames(schema);
  return schema;
}

/** One type's schema, with `type` pinned to its names so that editors can tell the types apart. */
function variant(info: TaskTypeInfo): JsonObject {
  const schema = plain(info.schema);
  (schema.properties as JsonObject).type = { enum: [info.type, ...info.aliases] };
  if (info.deprecated) schema.deprecated = true;
  return schema;
}

/** The schema as plain JSON, with every placeholder for a nested task, trigger or condition as a `$ref`. */
function plain(schema: object): JsonObject {
  return JSON.parse(
    JSON.stringify(schema, (_key, value: unknown) =>
      value !== null && typeof value === 'object' && REF_KEY in value
        ? { $ref: `#/$defs/${String((value as JsonObject)[REF_KEY])}` }
        : value,
    ),
  );
}

/** Kestra still reads an input's old `name` in place of `id`. */
function acceptOldInputNames(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) acceptOldInputNames(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as JsonObject;
  const properties = object.properties as Record<string, JsonObject> | undefined;
  if (typeof object.title === 'string' && object.title.endsWith(' input') && properties?.id) {
    properties.name = { type: 'string', deprecated: true, description: 'old name of id' };
    object.required = (object.required as string[]).filter((name) => name !== 'id');
    object.anyOf = [{ required: ['id'] }, { required: ['name'] }];
  }
  for (const value of Object.values(object)) acceptOldInputNames(value);
}
