import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = { text: 'Hello World', path: 'a/b/c.txt', none: null };

describe('string filters', () => {
  runCases([
    {
      title: 'upper-cases and lower-cases',
      template: '{{ text | upper }} {{ text | lower }}',
      context,
      expected: 'HELLO WORLD hello world',
    },
    {
      title: 'passes null through a string filter',
      template: '[{{ none | upper }}]',
      context,
      expected: '[]',
    },
    {
      title: 'capitalizes the first letter only',
      template: "{{ 'article title' | capitalize }}",
      expected: 'Article title',
    },
    { title: 'title-cases every word', template: "{{ 'article title' | title }}", expected: 'Article Title' },
    {
      title: 'trims surrounding whitespace',
      template: "[{{ '  padded text  ' | trim }}]",
      expected: '[padded text]',
    },
    {
      title: 'replaces placeholders from a map, as Pebble does',
      template: "{{ 'I like %this% and %that%.' | replace({'%this%': 'tea', '%that%': 'cake'}) }}",
      expected: 'I like tea and cake.',
    },
    {
      title: 'replaces every occurrence of a string',
      template: "{{ 'a-b-c' | replace('-', '_') }}",
      expected: 'a_b_c',
    },
    {
      title: 'replaces with a regular expression when regexp is true',
      template: "{{ 'a1b22c' | replace({'[0-9]+': '#'}, regexp=true) }}",
      expected: 'a#b#c',
    },
    {
      title: 'splits on a delimiter',
      template: "{{ 'apple,banana,cherry' | split(',') }}",
      expected: '["apple","banana","cherry"]',
    },
    {
      title: 'splits with a limit, keeping the rest in the last part',
      template: "{{ 'a,b,c,d' | split(',', 2) }}",
      expected: '["a","b,c,d"]',
    },
    {
      title: 'splits on a regex delimiter, as Java does',
      template: "{{ 'a.b.c' | split('\\\\.') }}",
      expected: '["a","b","c"]',
    },
    {
      title: 'drops trailing empty parts when splitting',
      template: "{{ 'a,b,,' | split(',') }}",
      expected: '["a","b"]',
    },
    {
      title: 'abbreviates with an ellipsis counted in the length',
      template: "{{ 'this is a long sentence.' | abbreviate(7) }}",
      expected: 'this...',
    },
    {
      title: 'leaves a short string unabbreviated',
      template: "{{ 'short' | abbreviate(10) }}",
      expected: 'short',
    },
    {
      title: 'checks prefixes and suffixes',
      template: "{{ path | startsWith('a/') }} {{ path | endsWith('.csv') }}",
      context,
      expected: 'true false',
    },
    {
      title: 'takes the substring before the first separator',
      template: "{{ 'a.b.c' | substringBefore('.') }}",
      expected: 'a',
    },
    {
      title: 'takes the substring after the first separator',
      template: "{{ 'a.b.c' | substringAfter('.') }}",
      expected: 'b.c',
    },
    {
      title: 'takes the substring before the last separator',
      template: "{{ 'a.b.c' | substringBeforeLast('.') }}",
      expected: 'a.b',
    },
    {
      title: 'takes the substring after the last separator',
      template: '{{ path | substringAfterLast("/") }}',
      context,
      expected: 'c.txt',
    },
    {
      title: 'keeps the whole string when the separator is absent',
      template: "{{ 'abc' | substringBefore('.') }}|{{ 'abc' | substringAfter('.') }}|",
      expected: 'abc||',
    },
    {
      title: 'slugifies text with accents and punctuation',
      template: "{{ 'Héllo, World!' | slugify }}",
      expected: 'hello-world',
    },
    {
      title: 'escapes single quotes',
      template: "{{ \"Can't be here\" | escapeChar('single') }}",
      expected: "Can\\'t be here",
    },
    {
      title: 'escapes single quotes for a shell',
      template: "{{ \"it's\" | escapeChar('shell') }}",
      expected: "it'\\''s",
    },
    { title: 'indents every line but the first', template: "{{ 'a\\nb' | indent(2) }}", expected: 'a\n  b' },
    {
      title: 'indents every line after a new line with nindent',
      template: "{{ 'a\\nb' | nindent(2) }}",
      expected: '\n  a\n  b',
    },
    {
      title: 'converts a value to a string',
      template: "{{ (123 | string) ~ '' == '123' }}",
      expected: 'true',
    },
    {
      title: 'fails on abbreviate with a length below 4',
      template: "{{ 'abcdef' | abbreviate(2) }}",
      error: 'at least 4',
    },
    { title: 'fails on an unknown filter', template: "{{ 'a' | shout }}", error: "Unknown filter 'shout'" },
    {
      title: 'fails on an unknown named argument',
      template: "{{ 'a' | split(',', max=2) }}",
      error: "The filter 'split' has no argument 'max'",
    },
    {
      title: 'fails on too many arguments',
      template: "{{ 'a' | upper(1) }}",
      error: "The filter 'upper' takes no arguments, got 1",
    },
  ]);
});
