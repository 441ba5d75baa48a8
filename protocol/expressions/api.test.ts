import { describe, expect, it } from 'vitest';
import { RoostError } from '../errors.ts';
import { ExpressionError, isTemplate, render, renderDeep } from './index.ts';
import { runCases } from './test-cases.ts';

const context = {
  outputs: { t1: { value: 'v1', count: 2, rows: [{ id: 1 }] } },
  execution: { id: 'exec-1', startDate: '2024-01-01T10:00:00.000Z' },
};

describe('evaluate()', () => {
  runCases([
    {
      title: 'returns a string as is',
      template: 'outputs.t1.value',
      context,
      evaluate: true,
      expected: 'v1',
    },
    {
      title: 'returns a number as a number',
      template: 'outputs.t1.count * 2',
      context,
      evaluate: true,
      expected: 4,
    },
    {
      title: 'returns a boolean as a boolean',
      template: "outputs.t1.value == 'v1'",
      context,
      evaluate: true,
      expected: true,
    },
    {
      title: 'returns a list of maps as data',
      template: 'outputs.t1.rows',
      context,
      evaluate: true,
      expected: [{ id: 1 }],
    },
    { title: 'returns null for a null literal', template: 'null', evaluate: true, expected: null },
    {
      title: 'returns the right side of ?? for an undefined left side',
      template: "outputs.t9 ?? 'none'",
      context,
      evaluate: true,
      expected: 'none',
    },
    {
      title: 'fails on a missing variable',
      template: 'outputs.t9.value',
      context,
      evaluate: true,
      error: "Missing variable: 'outputs.t9'",
    },
    {
      title: 'fails on trailing tokens',
      template: 'outputs.t1 outputs',
      context,
      evaluate: true,
      error: 'expected end of expression',
    },
    {
      title: 'fails on an empty expression',
      template: '  ',
      evaluate: true,
      error: 'The expression is empty',
    },
  ]);
});

describe('renderDeep()', () => {
  it('renders every string inside objects and arrays and keeps other values', () => {
    const input = {
      message: 'run {{ execution.id }}',
      nested: { list: ['{{ outputs.t1.count + 1 }}', 7, true, null], plain: 'no template' },
    };
    expect(renderDeep(input, context)).toEqual({
      message: 'run exec-1',
      nested: { list: ['3', 7, true, null], plain: 'no template' },
    });
  });

  it('returns a new value and leaves the input untouched', () => {
    const input = { a: ['{{ execution.id }}'] };
    const output = renderDeep(input, context);
    expect(output).not.toBe(input);
    expect(input).toEqual({ a: ['{{ execution.id }}'] });
  });

  it('keeps a key named __proto__ as an own key', () => {
    const input = JSON.parse('{"__proto__": "{{ execution.id }}"}') as unknown;
    const output = renderDeep(input, context) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(output, '__proto__')?.value).toBe('exec-1');
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
  });
});

describe('isTemplate() and render()', () => {
  it('detects output blocks, tags and comments', () => {
    expect([
      isTemplate('{{ a }}'),
      isTemplate('{% if %}'),
      isTemplate('{# c #}'),
      isTemplate('{ a }'),
      isTemplate('plain'),
    ]).toEqual([true, true, true, false, false]);
  });

  it('returns a string without template syntax unchanged, even if it looks broken', () => {
    expect(render('cost: {a} }}', {})).toBe('cost: {a} }}');
  });

  it('throws an ExpressionError that is a RoostError with a stable code', () => {
    let caught: unknown;
    try {
      render('{{ nope }}', {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect(caught).toBeInstanceOf(RoostError);
    expect((caught as ExpressionError).toJSON()).toMatchObject({
      code: 'ROOST_EXPRESSION',
      retryable: false,
    });
  });
});
