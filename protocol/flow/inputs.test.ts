// Execution inputs: given values (strings from a form or the CLI, JSON from the API) become typed
// values by Kestra's rules; a broken rule names the input and the rule.
import { describe, expect, it } from 'vitest';
import { type Input, parseFlow, validateInputValues } from './index.ts';

/** The outcome for one input given one value: its typed value, or the message of its error. */
function outcome(input: Input, given: unknown): { value: unknown } | string {
  const { values, errors } = validateInputValues({ inputs: [input] }, { [input.id]: given });
  return errors[0] ? errors[0].message : { value: values[input.id] };
}

const values = ['a', 'b'];
const A_DIGITS = 'A\\d+';
/** title, input, given value, then the typed value, or a fragment of the error message */
const CASES: [string, Input, unknown, { value: unknown } | string][] = [
  ['a string', { id: 's', type: 'STRING' }, 'hello', { value: 'hello' }],
  ['a number given for a string', { id: 's', type: 'STRING' }, 42, { value: '42' }],
  [
    'a string matching its validator',
    { id: 's', type: 'STRING', validator: A_DIGITS },
    'A12',
    { value: 'A12' },
  ],
  [
    'a string not matching its validator',
    { id: 's', type: 'STRING', validator: A_DIGITS },
    'B12',
    `input 's' (STRING): "B12" does not match the validator A\\d+`,
  ],
  [
    'a validator must match the whole value',
    { id: 's', type: 'STRING', validator: A_DIGITS },
    'xA12',
    'does not match the validator',
  ],
  [
    'a map given for a string',
    { id: 's', type: 'STRING' },
    { a: 1 },
    "input 's' (STRING): expected a string, got a map",
  ],
  [
    'a secret with its validator',
    { id: 'k', type: 'SECRET', validator: '[a-z]+' },
    'Nope1',
    `input 'k' (SECRET): "Nope1" does not match`,
  ],
  ['one of the values', { id: 'c', type: 'SELECT', values }, 'a', { value: 'a' }],
  [
    'not one of the values',
    { id: 'c', type: 'SELECT', values },
    'z',
    `input 'c' (SELECT): "z" is not one of a, b`,
  ],
  [
    'a custom value where allowed',
    { id: 'c', type: 'SELECT', values, allowCustomValue: true },
    'z',
    { value: 'z' },
  ],
  ['an old ENUM value', { id: 'e', type: 'ENUM', values: ['ON', 'OFF'] }, 'OFF', { value: 'OFF' }],
  [
    'a multiselect given as JSON',
    { id: 'm', type: 'MULTISELECT', values },
    '["a","b"]',
    { value: ['a', 'b'] },
  ],
  [
    'a multiselect with a stranger',
    { id: 'm', type: 'MULTISELECT', values },
    ['a', 'z'],
    `item 1: "z" is not one of a, b`,
  ],
  ['an integer from text', { id: 'i', type: 'INT' }, '42', { value: 42 }],
  ['a negative integer', { id: 'i', type: 'INT' }, '-7', { value: -7 }],
  [
    'a decimal given for an integer',
    { id: 'i', type: 'INT' },
    '4.5',
    'input \'i\' (INT): expected an integer (32 bits), got "4.5"',
  ],
  ['an integer over 32 bits', { id: 'i', type: 'INT' }, '99999999999', 'expected an integer (32 bits)'],
  [
    'an integer under its minimum',
    { id: 'i', type: 'INT', min: 10, max: 20 },
    5,
    "input 'i' (INT): 5 is less than the minimum 10",
  ],
  [
    'an integer over its maximum',
    { id: 'i', type: 'INT', min: 10, max: 20 },
    '25',
    '25 is more than the maximum 20',
  ],
  ['a float from text', { id: 'f', type: 'FLOAT' }, '0.25', { value: 0.25 }],
  ['a float in exponent form', { id: 'f', type: 'FLOAT' }, '1e-3', { value: 0.001 }],
  [
    'text given for a float',
    { id: 'f', type: 'FLOAT' },
    'abc',
    'input \'f\' (FLOAT): expected a number, got "abc"',
  ],
  ['a float over its maximum', { id: 'f', type: 'FLOAT', max: 0.5 }, 0.6, '0.6 is more than the maximum 0.5'],
  ['true from text', { id: 'b', type: 'BOOLEAN' }, 'true', { value: true }],
  ['false in capitals', { id: 'b', type: 'BOOLEAN' }, 'FALSE', { value: false }],
  [
    'yes given for a boolean',
    { id: 'b', type: 'BOOLEAN' },
    'yes',
    'input \'b\' (BOOLEAN): expected true or false, got "yes"',
  ],
  [
    'an instant with an offset, kept in UTC',
    { id: 't', type: 'DATETIME' },
    '2023-06-01T10:00:00+02:00',
    { value: '2023-06-01T08:00:00Z' },
  ],
  [
    'a date given for an instant',
    { id: 't', type: 'DATETIME' },
    '2023-06-01',
    'expected an ISO-8601 instant',
  ],
  [
    'an instant after its window',
    { id: 't', type: 'DATETIME', before: '2023-12-31T23:59:59Z' },
    '2024-01-01T00:00:00Z',
    'is after 2023-12-31T23:59:59Z (before)',
  ],
  ['a leap day', { id: 'd', type: 'DATE' }, '2024-02-29', { value: '2024-02-29' }],
  [
    'a day that does not exist',
    { id: 'd', type: 'DATE' },
    '2023-02-29',
    "input 'd' (DATE): expected an ISO-8601 date",
  ],
  [
    'a date before its window',
    { id: 'd', type: 'DATE', after: '2023-01-01' },
    '2022-12-31',
    '"2022-12-31" is before 2023-01-01 (after)',
  ],
  ['a time without seconds', { id: 'h', type: 'TIME' }, '13:45', { value: '13:45' }],
  ['an hour that does not exist', { id: 'h', type: 'TIME' }, '25:00', 'expected an ISO-8601 time'],
  [
    'a time outside its window',
    { id: 'h', type: 'TIME', after: '01:00:00', before: '11:59:59' },
    '12:00',
    'is after 11:59:59 (before)',
  ],
  [
    'a duration within its range',
    { id: 'p', type: 'DURATION', min: 'PT10S', max: 'PT20S' },
    'PT15S',
    { value: 'PT15S' },
  ],
  [
    'a duration over its maximum',
    { id: 'p', type: 'DURATION', max: 'PT20S' },
    'PT1M',
    '"PT1M" is longer than the maximum PT20S',
  ],
  [
    'years, which a duration cannot hold',
    { id: 'p', type: 'DURATION' },
    'P1Y',
    'expected an ISO-8601 duration',
  ],
  ['JSON from text', { id: 'j', type: 'JSON' }, '{"a": [1, 2]}', { value: { a: [1, 2] } }],
  ['broken JSON', { id: 'j', type: 'JSON' }, '{bad', "input 'j' (JSON): not valid JSON"],
  ['YAML from text', { id: 'y', type: 'YAML' }, 'a: 1\nb: [x]', { value: { a: 1, b: ['x'] } }],
  ['a URI', { id: 'u', type: 'URI' }, 'https://kestra.io/docs', { value: 'https://kestra.io/docs' }],
  ['text given for a URI', { id: 'u', type: 'URI' }, 'not a uri', 'expected a URI'],
  ['an email address', { id: 'm', type: 'EMAIL' }, 'ops@example.com', { value: 'ops@example.com' }],
  ['text given for an email address', { id: 'm', type: 'EMAIL' }, 'ops', 'expected an email address'],
  [
    'an array of integers from JSON',
    { id: 'a', type: 'ARRAY', itemType: 'INT' },
    '[1, "2"]',
    { value: [1, 2] },
  ],
  [
    'an array with a bad item',
    { id: 'a', type: 'ARRAY', itemType: 'INT' },
    [1, 'x'],
    'item 1: expected an integer',
  ],
  [
    'a file URI',
    { id: 'x', type: 'FILE' },
    'kestra:///company/team/f/file.csv',
    { value: 'kestra:///company/team/f/file.csv' },
  ],
  ['a bare name given for a file', { id: 'x', type: 'FILE' }, 'file.csv', 'expected a file URI'],
];

describe('validateInputValues', () => {
  it.each(CASES)('%s', (_title, input, given, expected) => {
    const result = outcome(input, given);
    if (typeof expected === 'string') expect(result).toEqual(expect.stringContaining(expected));
    else expect(result).toEqual(expected);
  });

  it('applies defaults, checks them like given values, and reports every input at once', () => {
    const flow = parseFlow(
      [
        'id: f',
        'namespace: company.team',
        'inputs:',
        '  - { id: name, type: STRING }',
        '  - { id: count, type: INT, defaults: 5 }',
        '  - { id: since, type: DATETIME, defaults: "2013-08-09T14:19:00.000Z" }',
        '  - { id: note, type: STRING, required: false }',
        '  - { id: level, type: SELECT, values: [low, high] }',
        '  - { id: when, type: STRING, defaults: "{{ now() }}" }',
        'tasks: [{ id: log, type: io.kestra.plugin.core.log.Log, message: hi }]',
      ].join('\n'),
    );
    const result = validateInputValues(flow, { level: 'medium', unknown: 'ignored' });
    expect(result.errors).toEqual([
      { input: 'name', message: "input 'name' is required and was not given" },
      { input: 'level', message: `input 'level' (SELECT): "medium" is not one of low, high` },
    ]);
    expect(result.values).toEqual({
      count: 5,
      since: '2013-08-09T14:19:00Z',
      note: null,
      when: '{{ now() }}',
    });
  });

  it('nests inputs with dotted ids, as Kestra does', () => {
    const inputs: Input[] = [
      { id: 'db.host', type: 'STRING' },
      { id: 'db.port', type: 'INT' },
    ];
    expect(validateInputValues({ inputs }, { 'db.host': 'pg', 'db.port': '5432' })).toEqual({
      values: { db: { host: 'pg', port: 5432 } },
      errors: [],
    });
  });
});
