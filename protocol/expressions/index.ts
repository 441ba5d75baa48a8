// Public API of Roost's expression language: a sandboxed, strict subset of Pebble as Kestra flows use it.
import { expressionError, FailureKind } from './errors.ts';
import { evaluateExpr } from './evaluate.ts';
import { Evaluation } from './evaluation.ts';
import { type RenderOptions, resolveOptions } from './options.ts';
import { renderNested, renderTemplate } from './render-template.ts';
import { parseStandaloneExpression, parseTemplate } from './template-parser.ts';
import { buildMap, isMap, mapEntries } from './values.ts';

export { ExpressionError, type ExpressionErrorDetails, FailureKind } from './errors.ts';
export type { RenderOptions } from './options.ts';

function evaluation(
  text: string,
  context: Record<string, unknown>,
  options: RenderOptions | undefined,
): Evaluation {
  const resolved = resolveOptions(options);
  return new Evaluation({
    source: { text, where: resolved.where },
    context,
    options: resolved,
    renderNested,
  });
}

/** Turns a stack overflow (a template nested thousands of levels deep) into an ExpressionError. */
function guarded<T>(ev: Evaluation, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof RangeError) {
      throw expressionError(
        ev.source,
        0,
        FailureKind.BUDGET,
        'The template is nested too deeply to evaluate',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Renders a template: `{{ }}` output, `{% %}` tags, `{# #}` comments. */
export function render(template: string, context: Record<string, unknown>, options?: RenderOptions): string {
  if (!isTemplate(template)) return template;
  const ev = evaluation(template, context, options);
  return guarded(ev, () => renderTemplate(ev, parseTemplate(ev.source)));
}

/** Renders every string inside a JSON-like value (objects, arrays), returning a new value; non-strings unchanged. */
export function renderDeep(
  value: unknown,
  context: Record<string, unknown>,
  options?: RenderOptions,
): unknown {
  if (typeof value === 'string') return render(value, context, options);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, context, options));
  if (isMap(value))
    return buildMap(mapEntries(value).map(([key, item]) => [key, renderDeep(item, context, options)]));
  return value;
}

/** Evaluates one expression (no braces) to its raw value, e.g. evaluate("outputs.t1.value", ctx). */
export function evaluate(
  expression: string,
  context: Record<string, unknown>,
  options?: RenderOptions,
): unknown {
  const ev = evaluation(expression, context, options);
  return guarded(ev, () => evaluateExpr(ev, parseStandaloneExpression(ev.source)));
}

/** True when the string contains `{{`, `{%` or `{#`. */
export function isTemplate(value: string): boolean {
  return value.includes('{{') || value.includes('{%') || value.includes('{#');
}
