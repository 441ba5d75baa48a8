// Table-driven test helper shared by the expression tests: each case renders a template (or evaluates an
// expression) and expects either an exact output or an ExpressionError whose message contains a substring.
import { expect, it } from 'vitest';
import { ExpressionError, evaluate, type RenderOptions, render } from './index.ts';

export interface Case {
  /** a sentence: what a flow author would notice */
  title: string;
  template: string;
  context?: Record<string, unknown>;
  options?: RenderOptions;
  /** exact output of render(), or the raw value of evaluate() when `evaluate` is set */
  expected?: unknown;
  /** a substring of the ExpressionError message */
  error?: string;
  /** evaluate `template` as a bare expression instead of rendering it */
  evaluate?: boolean;
}

export const FIXED_NOW = new Date('2024-03-15T09:30:45.123Z');

function run(c: Case): unknown {
  const options: RenderOptions = { now: () => FIXED_NOW, ...c.options };
  return c.evaluate
    ? evaluate(c.template, c.context ?? {}, options)
    : render(c.template, c.context ?? {}, options);
}

export function runCases(cases: Case[]): void {
  it.each(cases)('$title', (c) => {
    if (c.error !== undefined) {
      let caught: unknown;
      try {
        run(c);
      } catch (error) {
        caught = error;
      }
      expect(caught, `expected "${c.template}" to fail`).toBeInstanceOf(ExpressionError);
      expect((caught as ExpressionError).message).toContain(c.error);
      expect((caught as ExpressionError).code).toBe('ROOST_EXPRESSION');
      return;
    }
    expect(run(c)).toEqual(c.expected);
  });
}
