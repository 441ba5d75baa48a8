import { describe, expect, it } from 'vitest';
import { ExpressionError, render } from './index.ts';
import { runCases } from './test-cases.ts';

const context = {
  inputs: { name: 'x', optional: null, empty: '' },
  outputs: { t1: { value: 'one', list: [10, 20] } },
};

describe('strict undefined', () => {
  runCases([
    {
      title: 'fails on an undefined root variable and names it',
      template: '{{ nope }}',
      context,
      error: "Missing variable: 'nope'",
    },
    {
      title: 'fails on a missing attribute and names the whole path',
      template: '{{ outputs.t2.value }}',
      context,
      error: "Missing variable: 'outputs.t2'",
    },
    { title: 'lists the keys that do exist', template: '{{ outputs.t2 }}', context, error: 'available: t1' },
    {
      title: 'fails on a missing subscript key',
      template: "{{ outputs['t-2'] }}",
      context,
      error: "Missing variable: 'outputs['t-2']'",
    },
    {
      title: 'fails on an index past the end of a list',
      template: '{{ outputs.t1.list[5] }}',
      context,
      error: "Missing variable: 'outputs.t1.list[5]' (it has 2 items)",
    },
    {
      title: 'fails on an attribute of null',
      template: '{{ inputs.optional.x }}',
      context,
      error: "'inputs.optional' is null",
    },
    {
      title: 'fails on an attribute of a number inside a loop body',
      template: '{% for i in [1] %}{{ i.x }}{% endfor %}',
      error: "Cannot read attribute 'x' of a number",
    },
    {
      title: 'fails when an argument of a filter is undefined',
      template: '{{ inputs.name | default(nope) }}',
      context,
      error: "Missing variable: 'nope'",
    },
  ]);
});

describe('null-coalescing, defined and default', () => {
  runCases([
    {
      title: 'uses the right side of ?? when the left is undefined',
      template: "{{ inputs.missing ?? 'dflt' }}",
      context,
      expected: 'dflt',
    },
    {
      title: 'uses the right side of ?? when the left is null',
      template: "{{ inputs.optional ?? 'dflt' }}",
      context,
      expected: 'dflt',
    },
    {
      title: 'keeps the left side of ?? when it is an empty string',
      template: "[{{ inputs.empty ?? 'dflt' }}]",
      context,
      expected: '[]',
    },
    {
      title: 'skips a missing chain under ??',
      template: "{{ trigger.body.field ?? 'manual' }}",
      context,
      expected: 'manual',
    },
    {
      title: 'skips an attribute of null under ??',
      template: "{{ inputs.optional.deep ?? 'dflt' }}",
      context,
      expected: 'dflt',
    },
    {
      title: 'skips a failed filter chain on an undefined value under ??',
      template: "{{ (nope | upper) ?? 'x' }}",
      expected: 'x',
    },
    {
      title: 'uses the right side of ??? only when the left is undefined',
      template: "[{{ inputs.optional ??? 'dflt' }}][{{ inputs.missing ??? 'dflt' }}]",
      context,
      expected: '[][dflt]',
    },
    {
      title: 'combines ??? and ?? as the Kestra guide shows',
      template: "{{ (inputs.optional ??? 'a') ?? 'b' }}",
      context,
      expected: 'b',
    },
    {
      title: 'still fails when every side of ?? is undefined',
      template: '{{ foo ?? bar ?? raise }}',
      error: "Missing variable: 'raise'",
    },
    {
      title: 'reports a defined variable as defined',
      template: '{{ inputs.name is defined }}',
      context,
      expected: 'true',
    },
    {
      title: 'reports a missing attribute as not defined',
      template: '{{ inputs.missing is defined }} {{ inputs.missing is not defined }}',
      context,
      expected: 'false true',
    },
    {
      title: 'reports null as not defined, as Pebble does',
      template: '{{ inputs.optional is defined }}',
      context,
      expected: 'false',
    },
    {
      title: 'reports a missing root variable as not defined',
      template: '{% if trigger is defined %}t{% else %}manual{% endif %}',
      context,
      expected: 'manual',
    },
    {
      title: 'reports a missing variable as null',
      template: '{{ inputs.missing is null }}',
      context,
      expected: 'true',
    },
    {
      title: 'uses default for a missing attribute',
      template: "{{ inputs.missing | default('d') }}",
      context,
      expected: 'd',
    },
    { title: 'uses default for a missing chain', template: "{{ a.b.c | default('d') }}", expected: 'd' },
    {
      title: 'uses default for an empty string',
      template: "{{ inputs.empty | default('d') }}",
      context,
      expected: 'd',
    },
    {
      title: 'keeps a non-empty value under default',
      template: "{{ inputs.name | default('d') }}",
      context,
      expected: 'x',
    },
    { title: 'keeps zero under default', template: "{{ 0 | default('d') }}", expected: '0' },
  ]);
});

describe('error details', () => {
  it('gives the kind, line, column and label of a missing variable', () => {
    let caught: unknown;
    try {
      render('first line\n  {{ outputs.t9.value }}', context, { where: "task t1 property 'format'" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    const error = caught as ExpressionError;
    expect(error.details).toMatchObject({
      kind: 'missing',
      line: 2,
      column: 6,
      where: "task t1 property 'format'",
    });
    expect(error.message).toBe(
      "task t1 property 'format': Missing variable: 'outputs.t9' (available: t1) (line 2, column 6 of \"  {{ outputs.t9.value }}\")",
    );
    expect(error.retryable).toBe(false);
    expect(error.toJSON().code).toBe('ROOST_EXPRESSION');
  });
});
