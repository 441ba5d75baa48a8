import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

describe('operator precedence', () => {
  runCases([
    { title: 'multiplies before adding', template: '{{ 2 + 3 * 4 }}', expected: '14' },
    { title: 'groups with parentheses', template: '{{ (2 + 3) * 4 }}', expected: '20' },
    {
      title: 'evaluates the Pebble documentation example',
      template: '{{ 2 + 2 / (10 % 3) * (8 - 1) }}',
      expected: '16',
    },
    { title: 'subtracts left to right', template: '{{ 10 - 3 - 2 }}', expected: '5' },
    { title: 'binds a filter tighter than arithmetic', template: '{{ 1 + -5 | abs }}', expected: '6' },
    {
      title: 'applies a filter to a whole concatenation, as Pebble does',
      template: "{{ 'a' ~ 'b' | upper }}",
      expected: 'AB',
    },
    { title: 'compares after arithmetic', template: '{{ 1 + 1 == 2 }}', expected: 'true' },
    { title: 'binds and tighter than or', template: '{{ true or false and false }}', expected: 'true' },
    {
      title: 'applies not to the whole comparison that follows',
      template: '{{ not 1 == 2 }}',
      expected: 'true',
    },
    {
      title: 'applies a filter to the whole ?? result',
      template: "{{ missing ?? 'x' | upper }}",
      expected: 'X',
    },
    { title: 'chains ?? to the first defined value', template: "{{ a ?? b ?? 'c' }}", expected: 'c' },
    { title: 'reads a ternary at the top level', template: "{{ 1 > 2 ? 'yes' : 'no' }}", expected: 'no' },
    {
      title: 'nests ternaries to the right',
      template: "{{ false ? 'a' : true ? 'b' : 'c' }}",
      expected: 'b',
    },
    { title: 'reads unary minus on an expression', template: '{{ -(2 + 3) }}', expected: '-5' },
    { title: 'reads tests after comparisons', template: '{{ 4 is even and 3 is odd }}', expected: 'true' },
    {
      title: 'reads chained filters left to right',
      template: "{{ ' Ab ' | trim | lower | upper }}",
      expected: 'AB',
    },
    {
      title: 'reads filter arguments, positional then named',
      template: "{{ 'a-b' | replace('-', '_') }}",
      expected: 'a_b',
    },
    {
      title: 'reads member access on a function result',
      template: '{{ fromJson(\'{"a": [5]}\').a[0] }}',
      expected: '5',
    },
    {
      title: 'reads numeric member access on a list',
      template: '{{ items.1 }}',
      context: { items: ['x', 'y'] },
      expected: 'y',
    },
  ]);
});

describe('syntax errors', () => {
  runCases([
    {
      title: 'names the unexpected token and its position',
      template: 'ok {{ 1 + }}',
      error: 'Unexpected "}}": expected an expression (line 1, column 11',
    },
    {
      title: 'reports the line of a later syntax error',
      template: 'line one\n{{ a b }}',
      error: 'line 2, column 6',
    },
    { title: 'rejects an empty output block', template: '{{ }}', error: 'Empty expression' },
    { title: 'rejects a missing closing bracket', template: '{{ [1, 2 }}', error: 'expected "]"' },
    { title: 'rejects a ternary without a colon', template: "{{ a ? 'b' }}", error: 'expected ":"' },
    {
      title: 'rejects a positional argument after a named one',
      template: "{{ x | date(format='y', 'z') }}",
      error: 'Positional arguments must come before named arguments',
    },
    {
      title: 'rejects method calls',
      template: "{{ 'x'.toUpperCase() }}",
      error: 'Method calls such as ".toUpperCase()" are not supported',
    },
    { title: 'rejects a filter without a name', template: '{{ x | }}', error: 'expected a filter name' },
    {
      title: 'names the label given in options.where',
      template: '{{ ) }}',
      options: { where: "task t1 property 'format'" },
      error: "task t1 property 'format': Unexpected",
    },
  ]);
});
