import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  fruits: ['apple', 'banana', 'cherry'],
  numbers: [3, 1, 2],
  dupes: ['1', '1', '2', '3'],
  scores: { English: 72, Maths: 88 },
};

describe('collection filters', () => {
  runCases([
    {
      title: 'takes the first and last items of a list',
      template: '{{ fruits | first }} {{ fruits | last }}',
      context,
      expected: 'apple cherry',
    },
    {
      title: 'takes the first and last characters of a string',
      template: "{{ 'Mitch' | first }} {{ 'Mitch' | last }}",
      expected: 'M h',
    },
    {
      title: 'returns null for the first item of an empty list',
      template: '[{{ [] | first }}]',
      expected: '[]',
    },
    {
      title: 'counts items, characters and map entries',
      template: "{{ fruits | length }} {{ 'Mitch' | length }} {{ scores | length }}",
      context,
      expected: '3 5 2',
    },
    {
      title: 'lists the keys of a map',
      template: '{{ scores | keys }}',
      context,
      expected: '["English","Maths"]',
    },
    { title: 'lists the values of a map', template: '{{ scores | values }}', context, expected: '[72,88]' },
    {
      title: 'joins with a separator',
      template: "{{ fruits | join(', ') }}",
      context,
      expected: 'apple, banana, cherry',
    },
    { title: 'joins without a separator', template: '{{ numbers | join }}', context, expected: '312' },
    { title: 'sorts numbers ascending', template: '{{ numbers | sort }}', context, expected: '[1,2,3]' },
    { title: 'sorts in reverse with rsort', template: '{{ numbers | rsort }}', context, expected: '[3,2,1]' },
    { title: 'sorts strings', template: "{{ ['pear', 'apple'] | sort }}", expected: '["apple","pear"]' },
    {
      title: 'reverses a list and a string',
      template: "{{ fruits | reverse }} {{ 'abc' | reverse }}",
      context,
      expected: '["cherry","banana","apple"] cba',
    },
    {
      title: 'removes duplicates with distinct',
      template: '{{ dupes | distinct }}',
      context,
      expected: '["1","2","3"]',
    },
    { title: 'removes duplicates with unique', template: '{{ [1, 1, 2] | unique }}', expected: '[1,2]' },
    { title: 'slices a list', template: '{{ fruits | slice(1, 2) }}', context, expected: '["banana"]' },
    { title: 'slices a string', template: "{{ 'Mitchell' | slice(1, 3) }}", expected: 'it' },
    {
      title: 'slices to the end when no end is given',
      template: '{{ fruits | slice(1) }}',
      context,
      expected: '["banana","cherry"]',
    },
    { title: 'merges two lists', template: '{{ [1, 2] | merge([3, 4]) }}', expected: '[1,2,3,4]' },
    {
      title: 'merges two maps, the right side winning',
      template: "{{ {'a': 1, 'b': 2} | merge({'b': 3}) }}",
      expected: '{"a":1,"b":3}',
    },
    {
      title: 'partitions a list into chunks',
      template: '{{ [1, 2, 3, 4, 5] | chunk(2) }}',
      expected: '[[1,2],[3,4],[5]]',
    },
    {
      title: 'feeds a filter result to the next filter',
      template: "{{ 'c,a,b' | split(',') | sort | join('') }}",
      expected: 'abc',
    },
    {
      title: 'fails to slice past the end',
      template: '{{ fruits | slice(1, 9) }}',
      context,
      error: 'outside of 0..3',
    },
    {
      title: 'fails to sort a mix of numbers and strings',
      template: "{{ [1, 'a'] | sort }}",
      error: 'Cannot compare',
    },
    {
      title: 'fails to take the keys of a string',
      template: "{{ 'abc' | keys }}",
      error: "The filter 'keys' needs a map, got a string",
    },
  ]);
});

describe('number filters', () => {
  runCases([
    { title: 'takes the absolute value', template: '{{ -7 | abs }}', expected: '7' },
    { title: 'parses a string into a number', template: "{{ '12.3' | number + 1 }}", expected: '13.3' },
    {
      title: 'parses a string into an integer with INT',
      template: "{{ '42' | number('INT') }}",
      expected: '42',
    },
    {
      title: 'fails to parse a decimal as INT',
      template: "{{ '4.2' | number('INT') }}",
      error: "cannot parse '4.2' as an integer",
    },
    {
      title: 'fails to parse text as a number',
      template: "{{ 'abc' | number }}",
      error: "cannot parse 'abc'",
    },
    {
      title: 'rounds half away from zero',
      template: '{{ 2.5 | round }} {{ -2.5 | round }}',
      expected: '3 -3',
    },
    { title: 'rounds to a precision', template: '{{ 3.14159 | round(2) }}', expected: '3.14' },
    {
      title: 'rounds up and down with a method',
      template: "{{ 3.1 | round(0, 'ceil') }} {{ 3.9 | round(0, 'floor') }}",
      expected: '4 3',
    },
  ]);
});
