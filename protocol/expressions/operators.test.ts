import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = { n: 7, s: 'abc', list: [1, 2, 3], map: { k: 'v' }, zero: 0 };

describe('arithmetic and concatenation', () => {
  runCases([
    { title: 'adds integers', template: '{{ n + 3 }}', context, expected: '10' },
    {
      title: 'divides to a decimal, as Kestra documents',
      template: '{{ 1 / 2 }} {{ n / 2 }}',
      context,
      expected: '0.5 3.5',
    },
    { title: 'computes the remainder', template: '{{ 11 % 7 }}', expected: '4' },
    { title: 'multiplies decimals', template: '{{ 1.5 * 3 }}', expected: '4.5' },
    {
      title: 'concatenates strings and numbers with ~',
      template: "{{ 'n=' ~ n ~ '!' }}",
      context,
      expected: 'n=7!',
    },
    { title: 'concatenates null as an empty string', template: "{{ 'a' ~ null ~ 'b' }}", expected: 'ab' },
    { title: 'adds a string to a number by concatenating', template: "{{ 'v' + 1 }}", expected: 'v1' },
    { title: 'appends to a list with +', template: '{{ list + [4] }}', context, expected: '[1,2,3,4]' },
    { title: 'removes from a list with -', template: '{{ list - 2 }}', context, expected: '[1,3]' },
    { title: 'fails to divide by zero', template: '{{ n / zero }}', context, error: 'Division by zero' },
    {
      title: 'fails to multiply a string',
      template: "{{ 'a' * 2 }}",
      error: 'Cannot apply "*" to a string and a number',
    },
    {
      title: 'fails to negate a string',
      template: '{{ -s }}',
      context,
      error: 'Unary "-" expects a number, got a string',
    },
  ]);
});

describe('comparisons and logic', () => {
  runCases([
    {
      title: 'compares numbers',
      template: '{{ n > 5 }} {{ n < 5 }} {{ n >= 7 }} {{ n <= 6 }}',
      context,
      expected: 'true false true false',
    },
    { title: 'compares integers and decimals by value', template: '{{ 1 == 1.0 }}', expected: 'true' },
    {
      title: 'compares strings',
      template: "{{ 'a' < 'b' }} {{ s == 'abc' }} {{ s equals 'abd' }}",
      context,
      expected: 'true true false',
    },
    {
      title: 'compares lists and maps deeply',
      template: "{{ [1, {'a': 2}] == [1, {'a': 2}] }} {{ map != {'k': 'v'} }}",
      context,
      expected: 'true false',
    },
    { title: 'never equates a string with a number', template: "{{ '1' == 1 }}", expected: 'false' },
    {
      title: 'equates null with a null value',
      template: '{{ x == null }}',
      context: { x: null },
      expected: 'true',
    },
    {
      title: 'fails to order a string against a number',
      template: "{{ 'a' < 1 }}",
      error: 'Cannot compare a string with a number',
    },
    { title: 'short-circuits and', template: '{{ false and missing.thing }}', expected: 'false' },
    { title: 'short-circuits or', template: '{{ true or missing.thing }}', expected: 'true' },
    { title: 'negates with not', template: '{{ not (n > 5) }}', context, expected: 'false' },
    {
      title: 'chooses with a ternary',
      template: "{{ list is empty ? 'none' : 'some' }}",
      context,
      expected: 'some',
    },
  ]);
});

describe('contains, in and ranges', () => {
  runCases([
    {
      title: 'finds an item in a list',
      template: '{{ list contains 2 }} {{ list contains 9 }}',
      context,
      expected: 'true false',
    },
    {
      title: 'finds every item of a list in a list',
      template: '{{ list contains [1, 3] }} {{ list contains [1, 9] }}',
      context,
      expected: 'true false',
    },
    {
      title: 'finds a key in a map',
      template: "{{ map contains 'k' }} {{ map contains 'v' }}",
      context,
      expected: 'true false',
    },
    { title: 'finds a substring in a string', template: "{{ s contains 'bc' }}", context, expected: 'true' },
    {
      title: 'tests membership with in',
      template: "{{ 2 in list }} {{ 'z' in s }}",
      context,
      expected: 'true false',
    },
    { title: 'builds an inclusive range with ..', template: '{{ 2..5 }}', expected: '[2,3,4,5]' },
    {
      title: 'builds an empty range when the end is before the start',
      template: '{{ 5..2 }}',
      expected: '[]',
    },
  ]);
});

describe('tests', () => {
  runCases([
    {
      title: 'tests even and odd',
      template: '{{ 4 is even }} {{ 4 is odd }} {{ 3 is not even }}',
      expected: 'true false true',
    },
    {
      title: 'tests emptiness of strings, lists and maps',
      template: "{{ '' is empty }} {{ [] is empty }} {{ {} is empty }} {{ [0] is empty }}",
      expected: 'true true true false',
    },
    {
      title: 'tests null',
      template: '{{ x is null }} {{ y is null }} {{ y is not null }}',
      context: { x: null, y: 1 },
      expected: 'true false true',
    },
    {
      title: 'tests iterable and map',
      template: "{{ [1] is iterable }} {{ 'a' is iterable }} {{ {'a': 1} is map }} {{ [1] is map }}",
      expected: 'true false true false',
    },
    {
      title: 'tests whether a string is JSON',
      template: "{{ '{\"a\": 1}' is json }} {{ 'nope' is json }}",
      expected: 'true false',
    },
    { title: 'tests divisibility', template: '{{ 9 is divisibleby(3) }}', expected: 'true' },
    { title: 'fails on an unknown test', template: '{{ 1 is prime }}', error: "Unknown test 'prime'" },
    {
      title: 'fails to test a decimal for evenness',
      template: '{{ 1.5 is even }}',
      error: 'needs an integer',
    },
  ]);
});
