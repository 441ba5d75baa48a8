import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluate, render } from './index.ts';
import { runCases } from './test-cases.ts';

class Secretive {
  visible = 'field';
  get computed(): string {
    throw new Error('getter ran');
  }
}

const context = {
  a: { b: 1 },
  list: [1, 2],
  fn: () => 'called',
  instance: new Secretive(),
  parsed: JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown,
  withGetter: Object.defineProperty({}, 'g', { get: () => 'ran', enumerable: true }),
};

describe('sandbox: no path to JavaScript objects', () => {
  runCases([
    {
      title: 'refuses attributes of a string',
      template: "{{ 'x'.constructor }}",
      error: "Cannot read attribute 'constructor' of a string",
    },
    {
      title: 'refuses __proto__ by subscript',
      template: "{{ a['__proto__'] }}",
      context,
      error: "Missing variable: 'a.__proto__'",
    },
    {
      title: 'refuses constructor on a map',
      template: '{{ a.constructor }}',
      context,
      error: "Missing variable: 'a.constructor'",
    },
    {
      title: 'refuses prototype chains on a list',
      template: "{{ list['constructor'] }}",
      context,
      error: "A list is indexed by an integer, not by 'constructor'",
    },
    {
      title: 'refuses constructor as a root variable',
      template: '{{ constructor }}',
      context,
      error: "Missing variable: 'constructor'",
    },
    {
      title: 'refuses toString as a root variable',
      template: '{{ toString }}',
      context,
      error: "Missing variable: 'toString'",
    },
    {
      title: 'refuses the attribute() function',
      template: "{{ attribute('x', 'constructor') }}",
      error: "Unknown function 'attribute'",
    },
    {
      title: 'refuses to call a function from the context',
      template: '{{ fn() }}',
      context,
      error: "Unknown function 'fn'",
    },
    {
      title: 'refuses to print a function from the context',
      template: '{{ fn }}',
      context,
      error: 'Cannot convert a function to text',
    },
    {
      title: 'refuses attributes of class instances',
      template: '{{ instance.visible }}',
      context,
      error: "Cannot read attribute 'visible' of an object",
    },
    {
      title: 'reads an own __proto__ key of parsed JSON as plain data',
      template: '{{ parsed.ok }} {{ parsed["__proto__"].polluted }}',
      context,
      expected: '1 true',
    },
    {
      title: 'never runs a getter',
      template: '{{ withGetter.g }}',
      context,
      error: "Missing variable: 'withGetter.g'",
    },
    {
      title: 'refuses constructor through a filter argument name',
      template: "{{ 2.5 | round(0, 'constructor') }}",
      error: "method must be common, ceil or floor, not 'constructor'",
    },
    {
      title: 'keeps map literal keys named __proto__ as data',
      template: "{{ {'__proto__': 1} }}",
      expected: '{"__proto__":1}',
    },
  ]);

  it('does not pollute Object.prototype through parsed JSON', () => {
    render('{{ fromJson(\'{"__proto__": {"polluted": true}}\') }}', {});
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not change the caller context with set', () => {
    const ctx = { name: 'ann' };
    expect(render('{% set name = "bob" %}{{ name }}', ctx)).toBe('bob');
    expect(ctx).toEqual({ name: 'ann' });
  });
});

describe('budgets', () => {
  it('aborts a hundred-million-step loop quickly with a clear error', () => {
    const started = Date.now();
    expect(() => render('{% for i in range(0, 100000000) %}{{ i }}{% endfor %}', {})).toThrow(
      'Evaluation stopped after 1000000 steps',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('aborts nested loops that add up past the step budget', () => {
    const template = '{% for a in range(1, 1000) %}{% for b in range(1, 1000) %}x{% endfor %}{% endfor %}';
    expect(() => render(template, {}, { maxSteps: 100_000 })).toThrow(
      'Evaluation stopped after 100000 steps',
    );
  });

  it('aborts output that grows past its limit', () => {
    expect(() =>
      render('{% for i in range(1, 100) %}0123456789{% endfor %}', {}, { maxOutputLength: 500 }),
    ).toThrow('The rendered output is over its limit of 500 characters');
  });

  it('aborts a string that doubles itself before it reaches memory limits', () => {
    const template =
      "{% set s = 'xx' %}{% for i in range(1, 64) %}{% set s = s ~ s %}{% endfor %}{{ s | length }}";
    expect(() => render(template, {})).toThrow('over the output limit of 10000000');
  });

  it('reports a budget failure as an ExpressionError of kind budget', () => {
    let caught: unknown;
    try {
      evaluate('range(1, 10) | length', {}, { maxSteps: 5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).details.kind).toBe('budget');
  });

  it('renders within the default budget for ordinary templates', () => {
    expect(render('{% for i in range(1, 1000) %}{{ i % 10 }}{% endfor %}', {})).toHaveLength(1000);
  });
});

describe('deeply nested input', () => {
  it('turns a stack overflow from deep nesting into an ExpressionError', () => {
    const depth = 20_000;
    const template = `{{ ${'('.repeat(depth)}1${')'.repeat(depth)} }}`;
    expect(() => render(template, {})).toThrow('The template is nested too deeply to evaluate');
  });
});

describe('filters that could build huge strings', () => {
  runCases([
    {
      title: 'refuses an indent that would exceed the output limit',
      template: "{{ 'a\\nb' | indent(100000000) }}",
      error: "The filter 'indent' would build",
    },
    {
      title: 'refuses a replacement that would exceed the output limit',
      template: "{{ 'xxxx' | replace('x', range(1, 100) | join) }}",
      options: { maxOutputLength: 300 },
      error: "The filter 'replace' would build",
    },
    {
      title: 'refuses a date far outside the calendar',
      template: "{{ '2024-01-01' | dateAdd(1000000000, 'YEARS') }}",
      error: 'out of the supported range',
    },
  ]);
});
