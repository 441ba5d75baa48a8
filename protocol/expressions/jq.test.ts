import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  outputs: {
    task1: { value: 1, text: 'awesome1' },
    task2: { value: 2, text: 'awesome2' },
  },
  list: [1, 2, 3],
  people: [
    { name: 'ann', age: 31, tags: ['a', 'b'] },
    { name: 'bob', age: 17, tags: ['c'] },
    { name: 'cid', age: 45, tags: [] },
  ],
  score: { English: 72, Maths: 88, French: 95 },
};

describe('the jq filter', () => {
  runCases([
    {
      title: 'returns the identity as a one-item list',
      template: "{{ [1, 2, 3] | jq('.') }}",
      expected: '[[1,2,3]]',
    },
    {
      title: 'indexes an array and takes the first result',
      template: "{{ [1, 2, 3] | jq('.[0]') | first }}",
      expected: '1',
    },
    {
      title: 'reads a nested path',
      template: "{{ outputs | jq('.task1.value') | first }}",
      context,
      expected: '1',
    },
    {
      title: 'reads a quoted field',
      template: '{{ outputs | jq(\'."task2".text\') | first }}',
      context,
      expected: 'awesome2',
    },
    {
      title: 'returns null for a missing field, as jq does',
      template: "{{ outputs | jq('.task9') }}",
      context,
      expected: '[null]',
    },
    { title: 'iterates an array', template: "{{ list | jq('.[]') }}", context, expected: '[1,2,3]' },
    {
      title: 'iterates a field of every element',
      template: "{{ people | jq('.[].name') }}",
      context,
      expected: '["ann","bob","cid"]',
    },
    {
      title: 'iterates a nested array with .a[]',
      template: "{{ people | jq('.[0].tags[]') }}",
      context,
      expected: '["a","b"]',
    },
    {
      title: 'pipes into length',
      template: "{{ people | jq('. | length') | first }}",
      context,
      expected: '3',
    },
    {
      title: 'lists sorted keys',
      template: "{{ score | jq('keys') | first }}",
      context,
      expected: '["English","French","Maths"]',
    },
    {
      title: 'selects matching elements',
      template: "{{ people | jq('.[] | select(.age >= 18) | .name') }}",
      context,
      expected: '["ann","cid"]',
    },
    {
      title: 'selects with equality',
      template: '{{ people | jq(\'.[] | select(.name == "bob") | .age\') | first }}',
      context,
      expected: '17',
    },
    {
      title: 'maps over an array',
      template: "{{ list | jq('map(. * 10)') | first }}",
      context,
      expected: '[10,20,30]',
    },
    {
      title: 'sums values with reduce, as the Kestra docs show',
      template: "{{ score | values | jq('reduce .[] as $num (0; .+$num)') | first }}",
      context,
      expected: '255',
    },
    { title: 'adds an array', template: "{{ list | jq('add') | first }}", context, expected: '6' },
    {
      title: 'builds objects',
      template: "{{ people | jq('.[0] | {name, grown: (.age > 18)}') | first }}",
      context,
      expected: '{"name":"ann","grown":true}',
    },
    {
      title: 'builds arrays',
      template: "{{ people | jq('[.[] | .age] | max') | first }}",
      context,
      expected: '45',
    },
    {
      title: 'sorts by a field',
      template: "{{ people | jq('sort_by(.age) | map(.name)') | first }}",
      context,
      expected: '["bob","ann","cid"]',
    },
    {
      title: 'turns a map into entries',
      template: "{{ {'a': 1} | jq('to_entries') | first }}",
      expected: '[{"key":"a","value":1}]',
    },
    {
      title: 'falls back with //',
      template: '{{ outputs | jq(\'.task9.value // "none"\') | first }}',
      context,
      expected: 'none',
    },
    {
      title: 'branches with if then else',
      template: '{{ list | jq(\'.[] | if . > 1 then "big" else "small" end\') }}',
      context,
      expected: '["small","big","big"]',
    },
    {
      title: 'binds a variable with as',
      template: "{{ people | jq('.[0].age as $a | [.[] | select(.age > $a) | .name]') | first }}",
      context,
      expected: '["cid"]',
    },
    { title: 'slices an array', template: "{{ list | jq('.[1:]') | first }}", context, expected: '[2,3]' },
    {
      title: 'suppresses errors with ?',
      template: "{{ list | jq('.[] | .name?') }}",
      context,
      expected: '[]',
    },
    {
      title: 'tests strings against a regex',
      template: '{{ people | jq(\'[.[] | select(.name | test("^b")) | .name]\') | first }}',
      context,
      expected: '["bob"]',
    },
    {
      title: 'fails to index a number with a field',
      template: "{{ 5 | jq('.a') }}",
      error: 'jq: cannot index number with "a"',
    },
    {
      title: 'fails on an unsupported builtin',
      template: "{{ list | jq('input') }}",
      context,
      error: 'jq: input/0 is not supported',
    },
    {
      title: 'fails on a malformed expression',
      template: "{{ list | jq('.[') }}",
      context,
      error: "jq expression '.['",
    },
  ]);
});
