import { describe, expect, it } from 'vitest';
import { RoostError } from '../errors.ts';
import { ExpressionError, render } from './index.ts';
import { runCases } from './test-cases.ts';

const secrets: Record<string, string> = { API_KEY: 's3cr3t' };
const functions = {
  secret: (name: string) => {
    const value = secrets[name];
    if (value === undefined)
      throw new RoostError('ROOST_NOT_FOUND', `no secret named ${name}`, { retryable: true });
    return value;
  },
  read: (uri: string) => `contents of ${uri}`,
};
const context = {
  vars: { greeting: "{{ 'hi ' ~ name }}", nested: '{{ vars.greeting }}', loop: '{{ render(vars.loop) }}' },
  name: 'ann',
  outputs: { t1: { uri: 'kestra:///ns/flow/file.txt' } },
};

describe('functions', () => {
  runCases([
    { title: 'builds an inclusive range', template: '{{ range(0, 3) }}', expected: '[0,1,2,3]' },
    {
      title: 'builds a range with a step',
      template: '{{ range(0, 6, 2) }} {{ range(3, 1, -1) }}',
      expected: '[0,2,4,6] [3,2,1]',
    },
    {
      title: 'takes the maximum and minimum of arguments',
      template: '{{ max(20, 80, 5) }} {{ min(20, 80, 5) }}',
      expected: '80 5',
    },
    { title: 'takes the maximum of a list', template: '{{ max([3, 9, 4]) }}', expected: '9' },
    {
      title: 'parses JSON with fromJson',
      template: '{{ fromJson(\'{"foo": [666, 1, 2]}\').foo[0] }}',
      expected: '666',
    },
    {
      title: 'parses JSON with the older json() name',
      template: "{{ json('[1, 2, 3]')[2] }}",
      expected: '3',
    },
    { title: 'parses YAML with yaml()', template: "{{ yaml('foo: [666, 1, 2]').foo[0] }}", expected: '666' },
    {
      title: 'reads a secret through the host',
      template: "{{ secret('API_KEY') }}",
      options: { functions },
      expected: 's3cr3t',
    },
    {
      title: 'reads a file through the host',
      template: '{{ read(outputs.t1.uri) }}',
      context,
      options: { functions },
      expected: 'contents of kestra:///ns/flow/file.txt',
    },
    {
      title: 'fails on secret() when the host gives none',
      template: "{{ secret('API_KEY') }}",
      error: 'secret() is not available here',
    },
    {
      title: 'fails on read() when the host gives none',
      template: "{{ read('x') }}",
      error: 'read() is not available here',
    },
    {
      title: 'fails with the host reason when a secret is missing',
      template: "{{ secret('NOPE') }}",
      options: { functions },
      error: 'secret() failed: no secret named NOPE',
    },
    {
      title: 'renders a variable holding an expression',
      template: '{{ render(vars.greeting) }}',
      context,
      expected: 'hi ann',
    },
    {
      title: 'renders recursively by default',
      template: '{{ render(vars.nested) }}',
      context,
      expected: 'hi ann',
    },
    {
      title: 'renders once when recursive is false',
      template: '{{ render(vars.nested, recursive=false) }}',
      context,
      expected: "{{ 'hi ' ~ name }}",
    },
    {
      title: 'renders once with renderOnce',
      template: '{{ renderOnce(vars.nested) }}',
      context,
      expected: "{{ 'hi ' ~ name }}",
    },
    {
      title: 'lets render() see variables set in the template',
      template: "{% set who = 'bob' %}{{ render('{{ who }}') }}",
      expected: 'bob',
    },
    {
      title: 'stops render() recursion that never ends',
      template: '{{ render(vars.loop) }}',
      context,
      error: 'render() nested more than 10 levels deep',
    },
    {
      title: 'prints the whole context with printContext()',
      template: '{% set x = 1 %}{{ printContext() }}',
      context: { a: { b: 2 } },
      expected: '{"a":{"b":2},"x":1}',
    },
    { title: 'fails on an unknown function', template: '{{ shout(1) }}', error: "Unknown function 'shout'" },
    {
      title: 'fails on a missing required argument',
      template: '{{ range(1) }}',
      error: "range() needs the argument 'end'",
    },
  ]);

  it('keeps the retryable flag of a host error', () => {
    let caught: unknown;
    try {
      render("{{ secret('NOPE') }}", {}, { functions });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).retryable).toBe(true);
    expect((caught as ExpressionError).details.kind).toBe('host');
  });
});
