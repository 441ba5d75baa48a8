// Flow inputs (and Pause `onResume` inputs): one schema per input type, told apart by `type`.
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { DurationString, INPUT_ID_PATTERN, StringList } from './schema-common.ts';

export const INPUT_TYPES = [
  'STRING',
  'ENUM',
  'SELECT',
  'MULTISELECT',
  'INT',
  'FLOAT',
  'BOOLEAN',
  'DATETIME',
  'DATE',
  'TIME',
  'DURATION',
  'FILE',
  'JSON',
  'YAML',
  'URI',
  'EMAIL',
  'ARRAY',
  'SECRET',
] as const;
export type InputTypeName = (typeof INPUT_TYPES)[number];
export const InputType = Type.Union(INPUT_TYPES.map((name) => Type.Literal(name)));

export const InputId = Type.String({
  pattern: INPUT_ID_PATTERN,
  description: "an input id of letters, digits, '.', '_' and '-' that starts with a letter or digit",
});

const inputCommon = {
  id: InputId,
  description: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  /** default true */
  required: Type.Optional(Type.Boolean()),
  /** checked with the same rules as a given value (see input-values.ts) */
  defaults: Type.Optional(Type.Unknown()),
  prefill: Type.Optional(Type.Unknown()),
  dependsOn: Type.Optional(
    Type.Object(
      { inputs: Type.Optional(StringList), condition: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  ),
};

function inputOf<T extends InputTypeName, P extends TProperties>(type: T, props: P) {
  return Type.Object(
    { ...inputCommon, type: Type.Literal(type), ...props },
    { additionalProperties: false, title: `${type} input` },
  );
}

const choices = {
  values: Type.Optional(StringList),
  /** an expression rendering to the list of values */
  expression: Type.Optional(Type.String()),
  allowCustomValue: Type.Optional(Type.Boolean()),
  autoSelectFirst: Type.Optional(Type.Boolean()),
};
const range = (bound: typeof DurationString | ReturnType<typeof Type.Number>) => ({
  min: Type.Optional(bound),
  max: Type.Optional(bound),
});
const window = { after: Type.Optional(Type.String()), before: Type.Optional(Type.String()) };
/** a regular expression the whole value must match */
const validator = { validator: Type.Optional(Type.String()) };

export const Input = Type.Union(
  [
    inputOf('STRING', validator),
    inputOf('SECRET', validator),
    inputOf('ENUM', { values: Type.Array(Type.String(), { minItems: 1 }) }),
    inputOf('SELECT', choices),
    inputOf('MULTISELECT', {
      ...choices,
      options: Type.Optional(StringList),
      itemType: Type.Optional(InputType),
    }),
    inputOf('INT', { min: Type.Optional(Type.Integer()), max: Type.Optional(Type.Integer()) }),
    inputOf('FLOAT', range(Type.Number())),
    inputOf('BOOLEAN', {}),
    inputOf('DATETIME', window),
    inputOf('DATE', window),
    inputOf('TIME', window),
    inputOf('DURATION', range(DurationString)),
    inputOf('FILE', { extension: Type.Optional(Type.String()) }),
    inputOf('JSON', {}),
    inputOf('YAML', {}),
    inputOf('URI', {}),
    inputOf('EMAIL', {}),
    inputOf('ARRAY', { itemType: InputType }),
  ],
  { description: 'an input (a map with id and type)' },
);
export type Input = Static<typeof Input>;
export const InputList = Type.Array(Input);
