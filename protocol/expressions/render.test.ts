import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  name: 'Ada',
  count: 3,
  ratio: 0.25,
  flag: true,
  nothing: null,
  items: ['a', 'b', 'c'],
  map: { x: 1, y: 'two' },
  users: [
    { name: 'ann', age: 31 },
    { name: 'bob', age: 17 },
  ],
};

describe('rendering values', () => {
  runCases([
    { title: 'renders plain text unchanged', template: 'hello world', expected: 'hello world' },
    { title: 'renders a variable', template: 'Hi {{ name }}!', context, expected: 'Hi Ada!' },
    { title: 'renders null as an empty string', template: '[{{ nothing }}]', context, expected: '[]' },
    {
      title: 'renders booleans as true and false',
      template: '{{ flag }} {{ not flag }}',
      context,
      expected: 'true false',
    },
    { title: 'renders integers without a decimal point', template: '{{ count }}', context, expected: '3' },
    {
      title: 'renders decimals as Java does',
      template: '{{ ratio }} {{ 1.5 }}',
      context,
      expected: '0.25 1.5',
    },
    {
      title: 'renders very large and very small doubles in Java notation',
      template: '{{ 12345678.5 }} {{ 0.0001 }}',
      expected: '1.23456785E7 1.0E-4',
    },
    { title: 'renders a list as compact JSON', template: '{{ items }}', context, expected: '["a","b","c"]' },
    { title: 'renders a map as compact JSON', template: '{{ map }}', context, expected: '{"x":1,"y":"two"}' },
    { title: 'renders a list literal as JSON', template: '{{ [1, 2] }}', expected: '[1,2]' },
    { title: 'renders a map literal as JSON', template: "{{ {'a': 1} }}", expected: '{"a":1}' },
    {
      title: 'renders nested map literals whose closing braces touch',
      template: "{{ {'a': {'b': [1]}} }}",
      expected: '{"a":{"b":[1]}}',
    },
    {
      title: 'renders a Date from the context in ISO-8601',
      template: '{{ d }}',
      context: { d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) },
      expected: '2024-01-02T03:04:05.006Z',
    },
    { title: 'drops comments', template: 'a{# a comment #}b', expected: 'ab' },
    {
      title: 'interpolates #{ } inside double-quoted strings',
      template: '{{ "Hi #{name}, #{count + 1}" }}',
      context,
      expected: 'Hi Ada, 4',
    },
    {
      title: 'keeps #{ } literal inside single-quoted strings',
      template: "{{ 'Hi #{name}' }}",
      context,
      expected: 'Hi #{name}',
    },
    { title: 'reads escaped quotes in strings', template: "{{ 'it\\'s' }}", expected: "it's" },
  ]);
});

describe('control tags', () => {
  runCases([
    {
      title: 'takes the if branch when the condition holds',
      template: '{% if count > 2 %}many{% endif %}',
      context,
      expected: 'many',
    },
    {
      title: 'falls through elseif to else',
      template: '{% if count > 5 %}a{% elseif count > 4 %}b{% else %}c{% endif %}',
      context,
      expected: 'c',
    },
    {
      title: 'takes the first matching elseif',
      template: '{% if count > 5 %}a{% elseif count > 2 %}b{% else %}c{% endif %}',
      context,
      expected: 'b',
    },
    {
      title: 'treats an empty string as false in if',
      template: "{% if '' %}yes{% else %}no{% endif %}",
      expected: 'no',
    },
    {
      title: 'treats the string false as false in if',
      template: "{% if 'false' %}yes{% else %}no{% endif %}",
      expected: 'no',
    },
    {
      title: 'loops over a list with a zero-based loop.index',
      template: '{% for i in items %}{{ loop.index }}{{ i }} {% endfor %}',
      context,
      expected: '0a 1b 2c ',
    },
    {
      title: 'exposes loop.first, loop.last and loop.length',
      template: '{% for i in items %}{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}',
      context,
      expected: 'true/false/3;false/false/3;false/true/3;',
    },
    {
      title: 'exposes loop.revindex',
      template: '{% for i in items %}{{ loop.revindex }}{% endfor %}',
      context,
      expected: '210',
    },
    {
      title: 'renders the for else branch for an empty list',
      template: '{% for i in [] %}x{% else %}none{% endfor %}',
      expected: 'none',
    },
    {
      title: 'renders the for else branch for null',
      template: '{% for i in nothing %}x{% else %}none{% endfor %}',
      context,
      expected: 'none',
    },
    {
      title: 'iterates a map as entries with key and value',
      template: '{% for e in map %}{{ e.key }}={{ e.value }};{% endfor %}',
      context,
      expected: 'x=1;y=two;',
    },
    {
      title: 'iterates a map with two loop variables',
      template: '{% for k, v in map %}{{ k }}={{ v }};{% endfor %}',
      context,
      expected: 'x=1;y=two;',
    },
    { title: 'iterates a range', template: '{% for i in 1..3 %}{{ i }}{% endfor %}', expected: '123' },
    {
      title: 'reads attributes of loop items',
      template: '{% for u in users %}{{ u.name }}:{{ u.age >= 18 }} {% endfor %}',
      context,
      expected: 'ann:true bob:false ',
    },
    {
      title: 'nests loops with their own loop variables',
      template: '{% for a in [1,2] %}{% for b in [1,2] %}{{ a * b }}{% endfor %}|{% endfor %}',
      expected: '12|24|',
    },
    {
      title: 'sets a variable',
      template: '{% set greeting = "Hello " ~ name %}{{ greeting }}',
      context,
      expected: 'Hello Ada',
    },
    {
      title: 'updates an outer variable from inside a loop',
      template:
        '{% set total = 0 %}{% for u in users %}{% set total = total + u.age %}{% endfor %}{{ total }}',
      context,
      expected: '48',
    },
    {
      title: 'keeps a variable set inside a loop local to the loop',
      template: '{% for i in [1] %}{% set inner = 1 %}{% endfor %}{{ inner ?? "gone" }}',
      expected: 'gone',
    },
    {
      title: 'lets set shadow a context variable without touching the context',
      template: '{% set name = "Bob" %}{{ name }}',
      context,
      expected: 'Bob',
    },
    {
      title: 'applies a filter tag to its body',
      template: '{% filter upper %}hi {{ name }}{% endfilter %}',
      context,
      expected: 'HI ADA',
    },
    { title: 'fails on an if without endif', template: '{% if true %}x', error: 'Unclosed "if" tag' },
    { title: 'fails on an unknown tag', template: '{% frobnicate %}', error: 'Unknown tag "frobnicate"' },
    {
      title: 'fails on an endif with no if open',
      template: 'x{% endif %}',
      error: 'Unexpected "{% endif %}" with no tag open',
    },
    {
      title: 'fails on a macro tag as unsupported',
      template: '{% macro m() %}{% endmacro %}',
      error: 'The "macro" tag is not supported',
    },
    {
      title: 'fails when looping over a number',
      template: '{% for i in count %}{% endfor %}',
      context,
      error: 'Cannot loop over a number',
    },
  ]);
});
